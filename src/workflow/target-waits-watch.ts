import { messageOf } from '../errors/index.js';
import type { Logger } from '../observe/index.js';
import { sampleTargetWaits, type Queryable } from '../sink/index.js';
import type { TargetWaitTally } from '../telemetry/index.js';

export interface TargetWaitsWatch {
  /** Stops sampling; a sample under way is left out. */
  stop(): void;
}

/**
 * Samples, every second on the driver's own connection, what this run's backends on that node are doing, into
 * `tally` (the run's stats: the report's `targetWaits`, the dashboard and /metrics). One small query a second
 * costs the target nothing a COPY stream would notice. A failed sample is logged once and left out: the run never
 * depends on it.
 */
export function watchTargetWaits(input: { readonly db: Queryable; readonly runId: string; readonly log: Logger; readonly tally: TargetWaitTally; readonly intervalMs?: number }): TargetWaitsWatch {
  const { tally } = input;
  let stopped = false;
  let sampling = false;
  let warned = false;
  const sampleOnce = async (): Promise<void> => {
    sampling = true;
    try {
      const sample = await sampleTargetWaits(input.db, input.runId);
      if (!stopped) tally.add(sample.node, sample.waits);
    } catch (error) {
      if (!stopped && !warned) input.log.warn('cannot sample the target\'s wait events; the report leaves them out', { error: messageOf(error) });
      warned = true;
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => {
    if (!sampling && !stopped) void sampleOnce();
  }, input.intervalMs ?? 1000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
