import { POOLED_PAGE_HEADROOM } from '../plan/index.js';

/**
 * Buffers of raw pages, kept for the next page once a page is done with them. A page of 5,000 events rows is
 * ~1.5 MB of frame plus ~0.6 MB of cell offsets; allocated fresh per page, that memory lives outside V8's heap but
 * counts towards its old generation, and the churn cost a full mark-compact every ~0.3 s per executor (~25 % of
 * its CPU). Reused, it costs nothing. The free list is bounded: the pool holds the pages its process is planned to
 * hold (reserved at the first), or as many as were in flight at once if more, up to twice that; a page never released
 * (an error, a consumer that does not release) is simply collected.
 */
export class ReusablePool<T extends { readonly length: number }> {
  private readonly free: T[] = [];
  /** Items made new and items handed out again: new ones that grow with the pages read mean pages are not released. */
  private readonly counts = { allocated: 0, reused: 0 };
  /** Handed out and not released yet, and the most that ever were at once. */
  private outstanding = 0;
  private peak = 0;

  /**
   * With `reserving`, its `prefault` writes each new item's memory once, so the pages it spans are the process's from
   * then on (see reserve); items shorter than its `from` are made one at a time (a start-up self-test's canned page).
   */
  constructor(private readonly allocate: (length: number) => T, private limit: number, private readonly reserving?: { readonly from: number; readonly prefault: (item: T) => void }) {}

  /**
   * Free items kept: as many as were ever out at once, from `limit` up to twice it. Two pages a task is the plan, but
   * a frame being read while both of a task's pages are held (and a split's first page read beside its checkpoint)
   * sometimes made it three: with the free list held at two a task, each such page was made new and then dropped,
   * and the dropped 1.7 MiB buffers stayed in RSS until a full collection (a 10M-row run: 92 → 101 MiB over 60 s in
   * steps, 2026-12-07). Kept, they are the same peak, reused. Twice the limit bounds what a leak of releases keeps.
   */
  private keep(): number {
    return Math.min(Math.max(this.limit, this.peak), 2 * this.limit);
  }

  /**
   * A T of at least `length`, reused where one is free (the smallest that fits, so a short last page does not take the
   * buffer a full page needs next); new ones get 25 % headroom so the next page fits too.
   */
  acquire(length: number): T {
    let best = -1;
    for (let index = 0; index < this.free.length; index++) {
      const size = (this.free[index] as T).length;
      if (size >= length && (best < 0 || size < (this.free[best] as T).length)) best = index;
    }
    this.outstanding++;
    this.peak = Math.max(this.peak, this.outstanding);
    if (best >= 0) {
      this.counts.reused++;
      return this.free.splice(best, 1)[0] as T;
    }
    this.counts.allocated++;
    const made = this.make(Math.ceil(length * POOLED_PAGE_HEADROOM));
    this.reserve(made.length);
    return made;
  }

  /**
   * When reserving, a new item brings the pool up to its limit at once: items of its size, written, go to the free
   * list, and free ones too small for it are dropped. Why: a process's RSS then holds the pages it is planned to hold
   * (two per task) from its first page on, not as many as a run happened to have out at once. Made one at a time, a
   * 1M-row run's executors held 4 to 8 of their 8 planned pages (82.8 to 90.9 MiB of RSS; 10M-row runs 91.0 and 92.6,
   * 2026-12-07), so the same settings' memory read ×1.05 to ×1.13 "growth" from 1M to 10M rows, and a short run
   * checked its plan against less than a long one holds. Unwritten, a reserved buffer would hold no RSS until first
   * used, which is the same creep again.
   */
  private reserve(length: number): void {
    if (this.reserving === undefined || length < this.reserving.from) return;
    for (let index = this.free.length - 1; index >= 0; index--) {
      if ((this.free[index] as T).length < length) this.free.splice(index, 1);
    }
    while (this.outstanding + this.free.length < this.limit) {
      this.counts.allocated++;
      this.free.push(this.make(length));
    }
  }

  private make(length: number): T {
    const item = this.allocate(length);
    if (this.reserving !== undefined && length >= this.reserving.from) this.reserving.prefault(item);
    return item;
  }

  /** Kept if there is room; else it takes the place of a smaller free item (pages grow to the table's largest). */
  release(item: T): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.free.length < this.keep()) {
      this.free.push(item);
      return;
    }
    let smallest = -1;
    for (let index = 0; index < this.free.length; index++) {
      if (smallest < 0 || (this.free[index] as T).length < (this.free[smallest] as T).length) smallest = index;
    }
    if (smallest >= 0 && (this.free[smallest] as T).length < item.length) this.free[smallest] = item;
  }

  /** How many free items it may keep: the pages a process can hold at once (two per task: current and prefetched). */
  setLimit(limit: number): void {
    this.limit = Math.max(0, limit);
    this.free.length = Math.min(this.free.length, this.keep());
  }

  get freeCount(): number {
    return this.free.length;
  }

  /** Made new, handed out again, and the most that were out at once. */
  get acquired(): { readonly allocated: number; readonly reused: number; readonly atOnce: number } {
    return { ...this.counts, atOnce: this.peak };
  }
}

/** Pages from this size are reserved (as socket-frames.ts pools frames): smaller ones weigh little and come singly. */
const RESERVED_FROM_BYTES = 64 * 1024;
export const frameBuffers = new ReusablePool<Buffer>((length) => Buffer.allocUnsafeSlow(length), 4, { from: RESERVED_FROM_BYTES, prefault: (buffer) => buffer.fill(0) });
/** A frame read straight into a pooled buffer (socket-frames.ts), by the view the driver sees: the buffer to release. */
export const pooledFrameOwners = new WeakMap<Buffer, Buffer>();
/** Starts and lengths of a page's cells, side by side: [starts..., lengths...]. */
export const cellOffsets = new ReusablePool<Int32Array>((length) => new Int32Array(length), 4, { from: RESERVED_FROM_BYTES / Int32Array.BYTES_PER_ELEMENT, prefault: (offsets) => offsets.fill(0) });

/** Sets how many pages' buffers each pool keeps and reserves (an executor: two for each stream it runs). */
export function keepPageBuffers(pages: number): void {
  frameBuffers.setLimit(pages);
  cellOffsets.setLimit(pages);
}

/** This process's page frame buffers so far: made new, and reused from the pool. */
export function pageBufferCounts(): { readonly allocated: number; readonly reused: number; readonly atOnce: number } {
  return frameBuffers.acquired;
}
