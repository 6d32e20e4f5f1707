import type { Logger, RunEvent } from '../observe/index.js';
import { LatencyHistogram } from '../telemetry/index.js';
import type { LiveLimits } from '../runner/index.js';

/**
 * `source.adaptive`: a cap on the run's source read rate that backs off while Cassandra struggles and comes back
 * slowly once it does not, in the manner of TCP's congestion control (multiplicative decrease, slow increase).
 *
 * Trouble in a window: a page read that failed and was asked again (a timeout, an overloaded replica), or a median
 * page read over twice the best median seen in the run and at least `MIN_RISE_MS` above it (the best window stands
 * for an idle Cassandra, as the lowest round trip does for TCP Vegas). The cap then drops to 70 % of the rate just
 * read; after `HOLD_MS` without trouble it grows 10 % a window, and is lifted once it is well above anything the
 * run has read.
 */
export interface AdaptiveDecision {
  /** The cap now (rows a second for the whole run), or undefined: none. */
  readonly capRowsPerSecond: number | undefined;
  readonly change: 'backed-off' | 'raised' | 'lifted' | undefined;
  /** Why it backed off, for the log. */
  readonly reason?: string;
}

export interface AdaptiveSummary {
  readonly backoffs: number;
  readonly lowestRowsPerSecond: number | null;
  /** Seconds during which a cap was in force. */
  readonly cappedSeconds: number;
}

const BACKOFF = 0.7;
const RAISE = 1.1;
const HOLD_MS = 10_000;
const MIN_RISE_MS = 50;
/** A window needs this many page reads for its median to count. */
const MIN_PAGES = 3;
/** The cap never goes under this share of the best rate read, nor under FLOOR_ROWS. */
const FLOOR_SHARE = 0.05;
const FLOOR_ROWS = 50;
const FORGET = 1.02;

export class AdaptiveReads {
  private cap: number | undefined;
  private readonly lastCounts = new Map<number, readonly number[]>();
  private window = new LatencyHistogram();
  private retries: string[] = [];
  private bestMedianMs: number | undefined;
  private peakRate = 0;
  private lastRows = 0;
  private lastTickAt: number;
  private troubleAt = -Infinity;
  private cappedMs = 0;
  private backoffs = 0;
  private lowest: number | undefined;

  constructor(now: number) {
    this.lastTickAt = now;
  }

  /** Each run event: executors' cumulative latencies (a window takes their growth) and page retries. */
  observe(event: RunEvent): void {
    if (event.type === 'page-retry') this.retries.push(event.error);
    if (event.type !== 'latency') return;
    const last = this.lastCounts.get(event.executor);
    // An executor started again counts from zero: its counts are then all new.
    const restarted = last !== undefined && event.pageReadMs.some((count, i) => count < (last[i] ?? 0));
    this.window.add(event.pageReadMs.map((count, i) => (last === undefined || restarted ? count : count - (last[i] ?? 0))));
    this.lastCounts.set(event.executor, [...event.pageReadMs]);
  }

  /** At the end of a window: `rowsRead` is the run's rows so far. */
  tick(now: number, rowsRead: number): AdaptiveDecision {
    const seconds = Math.max(0.001, (now - this.lastTickAt) / 1000);
    const rate = Math.max(0, rowsRead - this.lastRows) / seconds;
    if (this.cap !== undefined) this.cappedMs += now - this.lastTickAt;
    this.lastTickAt = now;
    this.lastRows = rowsRead;
    const trouble = this.trouble();
    this.window = new LatencyHistogram();
    this.retries = [];
    if (trouble) return this.backOff(now, rate, trouble);
    this.peakRate = Math.max(this.peakRate, rate);
    if (this.cap === undefined || now - this.troubleAt < HOLD_MS) return { capRowsPerSecond: this.cap, change: undefined };
    if (this.cap * RAISE > 2 * this.peakRate) {
      this.cap = undefined;
      return { capRowsPerSecond: undefined, change: 'lifted' };
    }
    this.cap = Math.round(this.cap * RAISE);
    return { capRowsPerSecond: this.cap, change: 'raised' };
  }

  summary(): AdaptiveSummary {
    return { backoffs: this.backoffs, lowestRowsPerSecond: this.lowest ?? null, cappedSeconds: Math.round(this.cappedMs / 100) / 10 };
  }

  private trouble(): string | undefined {
    if (this.retries.length > 0) return `${this.retries.length} page read(s) failed and were asked again (${this.retries[0] ?? ''})`;
    if (this.window.count < MIN_PAGES) return undefined;
    const median = this.window.quantile(0.5) as number;
    const best = this.bestMedianMs;
    // The best forgets slowly (2 % a window): a lasting rise that no back-off cures (a longer network path, say)
    // becomes the new normal within about a minute, rather than holding the run at its floor.
    this.bestMedianMs = best === undefined ? median : Math.min(best * FORGET, median);
    if (best !== undefined && median > 2 * best && median - best >= MIN_RISE_MS) return `median page read ${median} ms, against ${best} ms at best`;
    return undefined;
  }

  private backOff(now: number, rate: number, reason: string): AdaptiveDecision {
    this.troubleAt = now;
    const floor = Math.max(FLOOR_ROWS, FLOOR_SHARE * this.peakRate);
    // Under the rate just read, which the trouble came with; a stream held by the cap reads no faster than it.
    const from = Math.min(rate > 0 ? rate : Infinity, this.cap ?? Infinity);
    const next = Math.round(Math.max(floor, Number.isFinite(from) ? BACKOFF * from : floor));
    if (this.cap !== undefined && next >= this.cap) return { capRowsPerSecond: this.cap, change: undefined };
    this.cap = next;
    this.backoffs++;
    this.lowest = Math.min(this.lowest ?? Infinity, next);
    return { capRowsPerSecond: next, change: 'backed-off', reason };
  }
}

export interface AdaptiveWatch {
  readonly observe: (event: RunEvent) => void;
  stop(): AdaptiveSummary;
}

/** How often the adaptive cap looks at the last window: long enough for a few page reads per stream. */
const WINDOW_MS = 2000;

/** Runs `source.adaptive` over a run: every window, the cap on its reads follows the window's trouble. */
export function watchAdaptive(input: { readonly limits: LiveLimits; readonly rowsRead: () => number; readonly log: Logger; readonly windowMs?: number }): AdaptiveWatch {
  const controller = new AdaptiveReads(performance.now());
  const timer = setInterval(() => {
    const decision = controller.tick(performance.now(), input.rowsRead());
    if (decision.change === undefined) return;
    input.limits.capReads(decision.capRowsPerSecond);
    const fields = { capRowsPerSecond: decision.capRowsPerSecond ?? 'none', ...(decision.reason ? { reason: decision.reason } : {}) };
    if (decision.change === 'backed-off') input.log.warn('adaptive: backing off the reads', fields);
    else input.log.info(decision.change === 'raised' ? 'adaptive: raising the reads' : 'adaptive: cap lifted', fields);
  }, input.windowMs ?? WINDOW_MS);
  timer.unref();
  return {
    observe: (event) => controller.observe(event),
    stop: () => {
      clearInterval(timer);
      return controller.summary();
    },
  };
}
