import type { C2yConfig } from '../config/index.js';
import { earlyTargetOf, executorAlive, forkExecutor, heapMbOf, type ExecutorProcess } from '../task/index.js';

/**
 * A local run's executors, forked while the driver still introspects and plans, each opening its Cassandra session
 * as soon as it listens. Why: an executor spends ~0.2 s of CPU loading node and its modules, and its
 * session costs several round trips to the nodes (start-up, the control connection's topology and schema reads, the
 * pools); across a WAN (100 ms) that was about a second after the plan, before any split could read. Each also opens
 * its streams' target connections (early-targets.ts), two or more round trips each that no stream then waits for.
 */
export class PrestartedExecutors {
  private readonly waiting: ExecutorProcess[] = [];
  private readonly heapMb: number;

  /** As many as the run can use: an executor per `executors`, no more than `parallelism` (the runner stops the rest). */
  constructor(config: C2yConfig, count = Math.min(config.executors, config.parallelism)) {
    this.heapMb = heapMbOf(config.executorMemory);
    for (let index = 0; index < count; index++) this.waiting.push(this.fork(config, index));
  }

  private fork(config: C2yConfig, index: number): ExecutorProcess {
    const executor = forkExecutor(this.heapMb);
    // Sent at once, as the local runner sends init: the channel keeps order, so connect always comes before init,
    // and the executor starts opening its sessions as soon as it listens, however short the plan.
    const target = earlyTargetOf(config, index);
    executor.child.send({ type: 'connect', source: config.source, ...(target ? { target } : {}) });
    return executor;
  }

  /** A waiting executor with this heap, alive; from here the caller owns it (and sends its init). */
  take(heapMb: number): ExecutorProcess | undefined {
    if (heapMb !== this.heapMb) return undefined;
    while (this.waiting.length > 0) {
      const executor = this.waiting.shift() as ExecutorProcess;
      if (executorAlive(executor)) return executor;
    }
    return undefined;
  }

  /** Those the run did not take (fewer splits than executors, a plan refused, Ctrl-C) are stopped. */
  stop(): void {
    for (const executor of this.waiting.splice(0)) executor.child.kill('SIGTERM');
  }
}
