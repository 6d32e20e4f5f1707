/**
 * Bounds the garbage an executor holds outside V8's heap. Buffers that outlive two scavenges (socket reads waiting
 * for the rest of a frame, COPY chunks still in the socket's queue) are promoted, and their memory is returned only by
 * a full collection. V8 runs one when the old generation reaches its limit, and counts these buffers towards it, but
 * under the executor's old-space floor (--initial-old-space-size) a 10M-row run reached none for 90 s: the buffers
 * grew from ~38 to ~65 MiB and peak RSS with them, so a long run peaked ~20 % above a short one (scratch --trace-gc,
 * 2026-12-05). Collecting whenever the level they return to grows a fixed budget past what the last collection left
 * holds every run at the same level. A forced full collection takes ~40 ms; looking at single samples, it ran on the
 * swings of young garbage and pages in flight too (at 4 MiB, 231 collections per executor per 10M rows), so it looks
 * at the lowest of the last second's samples, which only promoted garbage raises.
 */
/** Promoted garbage an executor may hold in buffers before it collects: within the plan's old-space floor. */
export const GARBAGE_BUDGET_BYTES = 4 * 1024 * 1024;
/** How often it looks: a look is one process.memoryUsage() (~10 µs); ten looks make its window. */
export const GOVERNOR_CHECK_MS = 100;

export class GarbageGovernor {
  /** Array-buffer bytes the last collection left, lowered when buffers are released between collections. */
  private floor: number;
  /** The last looks, oldest first: their lowest is the level scavenges return to. */
  private readonly recent: number[] = [];
  collections = 0;

  /**
   * `window` looks: buffers that die young (socket reads, a chunk just written) and the pages in flight raise single
   * looks, and a full collection would find them gone or alive; promoted garbage raises the lowest look as well.
   */
  constructor(private readonly budgetBytes: number, startBytes: number, private readonly window = 10) {
    this.floor = startBytes;
  }

  /** Whether `arrayBuffers` bytes, with the looks before, call for a collection now. */
  due(arrayBuffers: number): boolean {
    if (arrayBuffers < this.floor) this.floor = arrayBuffers;
    this.recent.push(arrayBuffers);
    if (this.recent.length > this.window) this.recent.shift();
    return this.recent.length === this.window && Math.min(...this.recent) - this.floor >= this.budgetBytes;
  }

  /** A collection ran and left `arrayBuffers` bytes. */
  collected(arrayBuffers: number): void {
    this.collections++;
    this.floor = arrayBuffers;
    this.recent.length = 0;
  }
}

export interface GovernorOptions {
  readonly budgetBytes: number;
  readonly everyMs: number;
  /** A full collection: V8's gc() where the process was started with --expose-gc. */
  readonly collect?: (() => void) | undefined;
  readonly arrayBuffers?: () => number;
}

/**
 * Checks every `everyMs` and collects when due. Without a collect function (a process started without --expose-gc,
 * as in tests that run tasks in-process) it does nothing and says so: undefined.
 */
export function startGarbageGovernor(options: GovernorOptions): { governor: GarbageGovernor; stop(): void } | undefined {
  const collect = options.collect ?? exposedGc();
  if (collect === undefined) return undefined;
  const arrayBuffers = options.arrayBuffers ?? ((): number => process.memoryUsage().arrayBuffers);
  const governor = new GarbageGovernor(options.budgetBytes, arrayBuffers());
  const timer = setInterval(() => {
    if (!governor.due(arrayBuffers())) return;
    collect();
    governor.collected(arrayBuffers());
  }, options.everyMs);
  timer.unref();
  return { governor, stop: () => clearInterval(timer) };
}

function exposedGc(): (() => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (): void => void (gc as () => void)() : undefined;
}
