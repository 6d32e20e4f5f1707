/** Bucket upper bounds in ms: fine where page reads and commits live (ms), coarse to a minute. */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000, 60_000];

export interface LatencyQuantiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
}

/**
 * Counts of latencies per fixed bucket (the last one open-ended): cheap to record on the hot path, to send between
 * processes as a plain array, and to add up over executors. Quantiles are read as the bucket's upper bound, so a
 * figure is never better than the truth.
 */
export class LatencyHistogram {
  readonly counts: number[];

  constructor(counts?: readonly number[]) {
    this.counts = counts !== undefined && counts.length === LATENCY_BOUNDS_MS.length + 1 ? [...counts] : new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  }

  record(ms: number): void {
    let index = 0;
    while (index < LATENCY_BOUNDS_MS.length && ms > (LATENCY_BOUNDS_MS[index] as number)) index++;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
  }

  add(other: readonly number[]): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] ?? 0) + (other[i] ?? 0);
  }

  get count(): number {
    return this.counts.reduce((sum, n) => sum + n, 0);
  }

  /** The bound below which a share q of the latencies fall; above the last bound, the last bound ×2 stands for "more". */
  quantile(q: number): number | null {
    const total = this.count;
    if (total === 0) return null;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return i < LATENCY_BOUNDS_MS.length ? (LATENCY_BOUNDS_MS[i] as number) : (LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number) * 2;
    }
    return null;
  }

  quantiles(): LatencyQuantiles {
    return { count: this.count, p50: this.quantile(0.5), p99: this.quantile(0.99), p999: this.quantile(0.999) };
  }
}
