import { setTimeout as sleep } from 'node:timers/promises';

/** The run's limits, global: each stream holds an equal share (see streamThrottle). */
export interface RunLimits {
  readonly sourceRowsPerSecond: number | undefined;
  readonly targetRowsPerSecond: number | undefined;
  readonly targetBytesPerSecond: number | undefined;
}

/** One pace: `rate` units a second since the split's stream started; no credit is carried from split to split. */
class Pace {
  private used = 0;
  constructor(private readonly rate: number, private readonly startedAt: number) {}

  /** How long to wait (ms) so that `amount` more stays within the pace. */
  debit(amount: number, now: number): number {
    this.used += amount;
    const allowed = this.rate * ((now - this.startedAt) / 1000);
    return this.used > allowed ? ((this.used - allowed) / this.rate) * 1000 : 0;
  }
}

/**
 * A stream's share of the run's limits: each global rate divided by the most streams the run can have at once (the
 * local slots, or a distributed run's global concurrency), so all executors, and all workers of a distributed run,
 * together never exceed it, with no coordination per row. A run whose streams are not all busy (its tail) goes slower
 * than the limit, never faster.
 */
export class StreamThrottle {
  throttledMs = 0;
  private reportedMs = 0;
  private readonly paces: ReadonlyArray<{ readonly pace: Pace; readonly of: 'read' | 'rows' | 'bytes' }>;

  constructor(limits: RunLimits, streams: number, now = performance.now()) {
    const share = Math.max(1, streams);
    const paces: Array<{ pace: Pace; of: 'read' | 'rows' | 'bytes' }> = [];
    if (limits.sourceRowsPerSecond) paces.push({ pace: new Pace(limits.sourceRowsPerSecond / share, now), of: 'read' });
    if (limits.targetRowsPerSecond) paces.push({ pace: new Pace(limits.targetRowsPerSecond / share, now), of: 'rows' });
    if (limits.targetBytesPerSecond) paces.push({ pace: new Pace(limits.targetBytesPerSecond / share, now), of: 'bytes' });
    this.paces = paces;
  }

  get limited(): boolean {
    return this.paces.length > 0;
  }

  /** After a page: its rows read, rows written and COPY bytes; waits as long as the strictest pace asks. */
  async after(page: { readonly read: number; readonly rows: number; readonly bytes: number }, signal: AbortSignal): Promise<void> {
    if (this.paces.length === 0) return;
    const now = performance.now();
    let waitMs = 0;
    for (const { pace, of } of this.paces) waitMs = Math.max(waitMs, pace.debit(page[of], now));
    if (waitMs <= 0) return;
    const started = performance.now();
    await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    this.throttledMs += performance.now() - started;
  }

  /** Throttled time since the last call, in whole ms (for the batch-committed event). */
  take(): number {
    const delta = Math.max(0, Math.round(this.throttledMs - this.reportedMs));
    this.reportedMs += delta;
    return delta;
  }
}
