import { setTimeout as sleep } from 'node:timers/promises';

/** The run's limits, global: the streams running share each one equally (see StreamThrottle). */
export interface RunLimits {
  readonly sourceRowsPerSecond: number | undefined;
  readonly targetRowsPerSecond: number | undefined;
  readonly targetBytesPerSecond: number | undefined;
  /**
   * Most streams at once (`c2y tune … parallelism=N`): splits not yet started wait while this many run; running
   * ones finish theirs. Unset: executors × cores, as the run started.
   */
  readonly maxStreams?: number | undefined;
}

/** The limits a config sets. */
export function configuredLimits(config: { readonly source: { readonly readsPerSecond?: number | undefined }; readonly target: { readonly rowsPerSecond?: number | undefined; readonly bytesPerSecond?: number | undefined } }): RunLimits {
  return { sourceRowsPerSecond: config.source.readsPerSecond, targetRowsPerSecond: config.target.rowsPerSecond, targetBytesPerSecond: config.target.bytesPerSecond };
}

/** What a page counts against the limits: rows read, rows written, COPY bytes. */
export interface PageAmounts {
  readonly read: number;
  readonly rows: number;
  readonly bytes: number;
}

/** The limits now in force and the streams now sharing them (a stream's share is each limit over `streams`). */
export interface ThrottleShares {
  readonly limits: RunLimits;
  readonly streams: number;
  /**
   * A distributed run's pace: the page is taken from the run's buckets (in Redis, through the worker), and the
   * answer is how long (ms) to wait. Unset: each stream paces its own equal share here.
   */
  readonly take?: (page: PageAmounts) => Promise<number>;
}

/** Credit a stream may bank while it goes slower than its share (waiting on Cassandra, say): one second's worth. */
const MAX_CREDIT_SECONDS = 1;

/**
 * One pace at a rate that may change: credit accrues at the rate that was in force since the last accrual (a change
 * is not applied to time already past) and pages spend it; a debt is waited off.
 */
class Pace {
  private credit = 0;
  /** The rate since the last accrual; NaN before the first (the first rate then counts from the stream's start). */
  private rate = Number.NaN;
  constructor(private last: number) {}

  accrue(rate: number, now: number): void {
    const accrued = (Number.isNaN(this.rate) ? rate : this.rate) * ((now - this.last) / 1000);
    this.credit = Math.min(this.credit + accrued, rate * MAX_CREDIT_SECONDS);
    this.last = now;
    this.rate = rate;
  }

  /** A page's worth; nothing while no limit is in force (a limit set later does not bill pages read before it). */
  spend(amount: number): void {
    if (this.rate > 0) this.credit -= amount;
  }

  /** How long (ms) until the debt is paid at the current rate. */
  owedMs(): number {
    return this.credit < 0 && this.rate > 0 ? (-this.credit / this.rate) * 1000 : 0;
  }

  /** No limit for a while: nothing owed, nothing banked. */
  reset(now: number): void {
    this.credit = 0;
    this.rate = Number.NaN;
    this.last = now;
  }
}

/** `answer`, or 0 as soon as `signal` aborts. */
function untilAborted(answer: Promise<number>, signal: AbortSignal): Promise<number> {
  if (signal.aborted) return Promise.resolve(0);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(0);
    signal.addEventListener('abort', onAbort, { once: true });
    void answer.then((waitMs) => {
      signal.removeEventListener('abort', onAbort);
      resolve(waitMs);
    }, () => resolve(0));
  });
}

/** A wait is slept in slices this long, the limits read again after each: a tuned limit ends a long wait at once. */
const WAIT_SLICE_MS = 250;

type Measure = 'read' | 'rows' | 'bytes';
const LIMIT_OF: ReadonlyArray<readonly [Measure, keyof RunLimits]> = [['read', 'sourceRowsPerSecond'], ['rows', 'targetRowsPerSecond'], ['bytes', 'targetBytesPerSecond']];

/**
 * A stream's share of the run's limits: each global rate divided by the streams sharing it. `shares` is read at every
 * page, so a limit changed while the run goes on (`c2y tune`), or fewer streams left at the run's tail, take effect
 * at the next page. All executors together (and all workers of a distributed run, whose share is fixed by its global
 * concurrency) never exceed a limit, with no coordination per row.
 */
export class StreamThrottle {
  throttledMs = 0;
  private reportedMs = 0;
  private readonly paces: Record<Measure, Pace>;

  constructor(private readonly shares: () => ThrottleShares, now = performance.now()) {
    this.paces = { read: new Pace(now), rows: new Pace(now), bytes: new Pace(now) };
  }

  get limited(): boolean {
    const { limits } = this.shares();
    return LIMIT_OF.some(([, key]) => (limits[key] ?? 0) > 0);
  }

  /** After a page: its rows read, rows written and COPY bytes; waits as long as the strictest pace asks. */
  async after(page: PageAmounts, signal: AbortSignal): Promise<void> {
    const { take } = this.shares();
    // The answer comes through the worker from Redis: a cancel (a lost node lease, Ctrl-C) must not wait for it.
    // Without a limit there is nothing to take: no round trip through the worker for every page.
    if (take) return this.limited ? this.waitShared(await untilAborted(take(page), signal), signal) : undefined;
    this.accrue();
    for (const [measure] of LIMIT_OF) this.paces[measure].spend(page[measure]);
    for (;;) {
      const waitMs = Math.max(...LIMIT_OF.map(([measure]) => this.paces[measure].owedMs()));
      if (waitMs <= 0 || signal.aborted) return;
      await this.sleep(Math.min(waitMs, WAIT_SLICE_MS), signal);
      this.accrue();
    }
  }

  /**
   * The wait the run's buckets asked for, in slices: a limit tuned meanwhile ends it (the buckets keep any debt, so
   * the next page pays it at the new rate), as does a cancel.
   */
  private async waitShared(waitMs: number, signal: AbortSignal): Promise<void> {
    const limits = this.shares().limits;
    for (let left = waitMs; left > 0 && !signal.aborted && this.shares().limits === limits;) {
      left -= await this.sleep(Math.min(left, WAIT_SLICE_MS), signal);
    }
  }

  /** Sleeps, counts it as throttled time, and says how long it was (ms). */
  private async sleep(ms: number, signal: AbortSignal): Promise<number> {
    const started = performance.now();
    await sleep(ms, undefined, { signal }).catch(() => undefined);
    const slept = performance.now() - started;
    this.throttledMs += slept;
    return slept;
  }

  /** Credit up to now at the limits in force (read afresh), each over the streams now sharing it. */
  private accrue(): void {
    const { limits, streams } = this.shares();
    const now = performance.now();
    for (const [measure, key] of LIMIT_OF) {
      const limit = limits[key] ?? 0;
      if (limit > 0) this.paces[measure].accrue(limit / Math.max(1, streams), now);
      else this.paces[measure].reset(now);
    }
  }

  /** Throttled time since the last call, in whole ms (for the batch-committed event). */
  take(): number {
    const delta = Math.max(0, Math.round(this.throttledMs - this.reportedMs));
    this.reportedMs += delta;
    return delta;
  }
}
