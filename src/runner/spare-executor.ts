import { executorAlive, forkExecutor, type ExecutorMessage, type ExecutorProcess } from '../task/index.js';

/** CPU the waiting executor spends warming the copy path (see task/warm-up.ts): measured to save more in the run. */
export const WARM_UP_CPU_MS = 400;

/** How the waiting executor's warm-up went, for the worker's log. */
export type WarmUp = Extract<ExecutorMessage, { type: 'warmed' }>;

/**
 * One executor forked ahead of the worker's next run. A worker is long-lived: forking node and loading the
 * executor's modules (~0.2 s of CPU) then happens while it waits, not inside a run, where it delayed every worker's
 * first split (seconds under a CPU quota: the scale-out bench's 0.05 of a core made it ~4 s a worker). Once loaded, it
 * warms the copy path on synthetic pages, which a run's executor would otherwise do on its first ~100,000 rows.
 */
export class SpareExecutor {
  private waiting: { readonly executor: ExecutorProcess; readonly heapMb: number; readonly loaded: Promise<void> } | undefined;
  /** The last spare's warm-up, once it answered. */
  warmed: WarmUp | undefined;

  /** `heapMb`: the first spare's heap (this worker's --executor-memory, else the default); then the last run's. */
  constructor(private heapMb: number) {}

  /**
   * Forks one unless one waits; resolves once it has loaded its modules and warmed up (or exited, or after
   * `loadTimeoutMs`). Call it between runs: under a quota, a fork during a run takes the run's CPU.
   */
  prepare(loadTimeoutMs = 30_000): Promise<void> {
    if (this.waiting && executorAlive(this.waiting.executor)) return this.waiting.loaded;
    const executor = forkExecutor(this.heapMb);
    const loaded = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, loadTimeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      executor.child.on('message', (message: ExecutorMessage) => {
        // Asked only once it listens: a message sent while its modules load could reach no listener.
        if (message.type === 'loaded') executor.child.send({ type: 'warm-up', budgetMs: WARM_UP_CPU_MS });
        if (message.type === 'warmed') {
          this.warmed = message;
          done();
        }
      });
      executor.child.once('exit', done);
    });
    const spare = { executor, heapMb: this.heapMb, loaded };
    this.waiting = spare;
    executor.child.once('exit', () => {
      if (this.waiting === spare) this.waiting = undefined;
    });
    return loaded;
  }

  /**
   * The waiting executor if it is alive and has this heap; from here the caller owns it (and sends its init). One
   * with another heap is stopped (its memory is not the run's to spend), and the next spare gets this run's heap.
   */
  take(heapMb: number): ExecutorProcess | undefined {
    this.heapMb = heapMb;
    const spare = this.waiting;
    this.waiting = undefined;
    if (!spare || !executorAlive(spare.executor)) return undefined;
    if (spare.heapMb === heapMb) return spare.executor;
    spare.executor.child.kill('SIGTERM');
    return undefined;
  }

  /** The worker stops: the waiting executor goes with it. */
  stop(): void {
    this.waiting?.executor.child.kill('SIGTERM');
    this.waiting = undefined;
  }
}
