import { forkExecutor, type ExecutorProcess } from '../task/index.js';

/**
 * One executor forked ahead of the worker's next run. A worker is long-lived: forking node and loading the
 * executor's modules (~0.2 s of CPU) then happens while it waits, not inside a run, where it delayed every worker's
 * first split (seconds under a CPU quota: the scale-out bench's 0.05 of a core made it ~4 s a worker).
 */
export class SpareExecutor {
  private waiting: ExecutorProcess | undefined;

  /** `heapMb`: the heap a run gets unless it asks for another (this worker's --executor-memory, else the default). */
  constructor(private readonly heapMb: number) {}

  /** Forks one unless one waits. Call it between runs: under a quota, a fork during a run takes the run's CPU. */
  prepare(): void {
    if (this.waiting && isAlive(this.waiting)) return;
    const spare = forkExecutor(this.heapMb);
    this.waiting = spare;
    spare.child.once('exit', () => {
      if (this.waiting === spare) this.waiting = undefined;
    });
  }

  /** The waiting executor, if it is alive and has this heap; from here the caller owns it (and sends its init). */
  take(heapMb: number): ExecutorProcess | undefined {
    const spare = this.waiting;
    if (!spare || heapMb !== this.heapMb || !isAlive(spare)) return undefined;
    this.waiting = undefined;
    return spare;
  }

  /** The worker stops: the waiting executor goes with it. */
  stop(): void {
    this.waiting?.child.kill('SIGTERM');
    this.waiting = undefined;
  }
}

function isAlive(executor: ExecutorProcess): boolean {
  return executor.child.exitCode === null && executor.child.signalCode === null && executor.child.connected;
}
