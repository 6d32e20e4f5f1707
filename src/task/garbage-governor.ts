/**
 * Bounds the garbage an executor holds outside V8's heap. Buffers that outlive two scavenges (socket reads waiting
 * for the rest of a frame, COPY chunks still in the socket's queue) are promoted, and their memory is returned only by
 * a full collection. V8 runs one when the old generation reaches its limit, and counts these buffers towards it, but
 * under the executor's old-space floor (--initial-old-space-size) a 10M-row run reached none for 90 s: the buffers
 * grew from ~38 to ~65 MiB and peak RSS with them, so a long run peaked ~20 % above a short one (scratch --trace-gc,
 * 2026-12-05). Collecting whenever they grow a fixed budget past what the last collection left holds every run at
 * the same level; a forced full collection of an executor takes ~40 ms, about one per 8 s per executor (GC in all
 * was 0.5–0.9 µs a row over 10M rows, 0.3 without the governor). A smaller budget does not hold less: the live
 * buffers (pages in flight) swing by ~5 MiB, and at 6 MiB the collections came 3× as often for no lower peak.
 */
/** Promoted garbage an executor may hold in buffers before it collects: within the plan's old-space floor. */
export const GARBAGE_BUDGET_BYTES = 8 * 1024 * 1024;
/**
 * How often it looks: a look is one process.memoryUsage() (~10 µs). An executor reads ~15 MB/s from Cassandra, so
 * between looks its buffers may pass the budget by ~1.5 MB (at 250 ms the 10M-row peaks were ~4 MiB higher).
 */
export const GOVERNOR_CHECK_MS = 100;

export class GarbageGovernor {
  /** Array-buffer bytes the last collection left, lowered when buffers are released between collections. */
  private floor: number;
  collections = 0;

  constructor(private readonly budgetBytes: number, startBytes: number) {
    this.floor = startBytes;
  }

  /** Whether `arrayBuffers` bytes call for a collection now. */
  due(arrayBuffers: number): boolean {
    if (arrayBuffers < this.floor) this.floor = arrayBuffers;
    return arrayBuffers - this.floor >= this.budgetBytes;
  }

  /** A collection ran and left `arrayBuffers` bytes. */
  collected(arrayBuffers: number): void {
    this.collections++;
    this.floor = arrayBuffers;
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
