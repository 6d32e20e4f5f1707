/** What the advice reads of each executor of a finished run. */
export interface ExecutorUse {
  /** Distributed runs: the worker that ran it (each on its own machine, so never advised together). */
  readonly worker: string | null;
  /** CPU over wall time as a share of one core; null when it ran under a second. */
  readonly cpuShareOfOneCore: number | null;
  /** False when the run ended before it was ready: it ran no split, so it was a process the run did not need. */
  readonly ready: boolean;
}

/**
 * Below this share of one core for all of a run's executors together, one process has room for all their streams
 * and more: an executor near a full core is CPU-bound (time-split.ts), so half a core leaves the run room to speed up.
 */
const ONE_EXECUTOR_SHARE = 0.5;

/**
 * Executors are processes, and each pays its own start-up and V8's warm-up of the copy path before it runs at speed
 * (on the bench's 2-core machine ~0.9 s of CPU each: 1M rows cost 2.7–3.1 µs of CPU a row on one executor of 2
 * cores, 3.6–3.7 on two of 1). When a local run's executors together used under half a core, one executor with all
 * their cores runs the same streams for less CPU: said after the run, never changed behind the user's back.
 */
export function executorsAdvice(executors: readonly ExecutorUse[], streamsAtOnce: number): string | null {
  // One that never became ready has no share to judge, and it is the plainest case for the advice: it is not a reason for silence.
  const ran = executors.filter((e) => e.ready);
  if (executors.length < 2 || executors.some((e) => e.worker !== null) || ran.some((e) => e.cpuShareOfOneCore === null)) return null;
  const combined = ran.reduce((sum, e) => sum + (e.cpuShareOfOneCore ?? 0), 0);
  if (combined >= ONE_EXECUTOR_SHARE) return null;
  // The streams that ran at once (fewer than executors × cores when the run had fewer splits), not the configured ones.
  const cores = streamsAtOnce;
  return `the ${executors.length} executors used ${Math.round(combined * 100)} % of one core together: one executor with ${cores} cores `
    + `(executors: 1, cores: ${cores}) runs the same ${cores} streams without the others' start-up and warm-up CPU; c2y plan shows whether it fits executorMemory`;
}
