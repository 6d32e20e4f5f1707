/**
 * Where a stream's time goes: waiting on Cassandra for a page, transcoding rows (CPU), or waiting on the target
 * (COPY writes, commits). Measured per page and per await, never per row.
 */
export class StreamTiming {
  sourceWaitMs = 0;
  transcodeMs = 0;
  targetWaitMs = 0;
  private reported = { sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 };

  /** Runs a target round trip, counting its wall time as waiting on the target. */
  async target<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.targetWaitMs += performance.now() - started;
    }
  }

  /** What accumulated since the last call, in whole ms (for the batch-committed event). */
  take(): TimeSplitMs {
    const delta = {
      sourceWaitMs: Math.round(this.sourceWaitMs - this.reported.sourceWaitMs),
      transcodeMs: Math.round(this.transcodeMs - this.reported.transcodeMs),
      targetWaitMs: Math.round(this.targetWaitMs - this.reported.targetWaitMs),
    };
    this.reported = { sourceWaitMs: this.reported.sourceWaitMs + delta.sourceWaitMs, transcodeMs: this.reported.transcodeMs + delta.transcodeMs, targetWaitMs: this.reported.targetWaitMs + delta.targetWaitMs };
    return delta;
  }
}

export interface TimeSplitMs {
  readonly sourceWaitMs: number;
  readonly transcodeMs: number;
  readonly targetWaitMs: number;
}

export type Verdict = 'source-bound' | 'target-bound' | 'CPU-bound' | 'idle';

/** Above this share of one core an executor's streams queue behind each other's CPU work: more streams will not help. */
const CPU_BOUND_SHARE = 0.85;

/**
 * The verdict for a set of streams (an executor, or the run): CPU-bound when their process is near one core busy
 * (its waits then include time queued behind the other streams' transcoding), else whichever wait dominates.
 */
export function verdictOf(split: TimeSplitMs, cpuShareOfOneCore: number | undefined): Verdict {
  const total = split.sourceWaitMs + split.transcodeMs + split.targetWaitMs;
  if (total === 0) return 'idle';
  if (cpuShareOfOneCore !== undefined && cpuShareOfOneCore >= CPU_BOUND_SHARE) return 'CPU-bound';
  if (split.transcodeMs >= split.sourceWaitMs && split.transcodeMs >= split.targetWaitMs) return 'CPU-bound';
  return split.sourceWaitMs >= split.targetWaitMs ? 'source-bound' : 'target-bound';
}

/** What to change, for the report and the dashboard. */
export function verdictAdvice(verdict: Verdict): string {
  switch (verdict) {
    case 'source-bound': return 'streams mostly wait on Cassandra: more parallelism helps until Cassandra is busy; check its CPU and read latency';
    case 'target-bound': return 'streams mostly wait on the target: more streams help until the target is busy (its target waits say whether they would queue inside it); check its CPU and the RTT';
    case 'CPU-bound': return 'the executors\' CPU is the limit: more executors (processes) help if cores are free; more streams per executor do not';
    case 'idle': return 'no stream ran';
  }
}
