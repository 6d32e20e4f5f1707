/**
 * Buffers of raw pages, kept for the next page once a page is done with them. A page of 5,000 events rows is
 * ~1.5 MB of frame plus ~0.6 MB of cell offsets; allocated fresh per page, that memory lives outside V8's heap but
 * counts towards its old generation, and the churn cost a full mark-compact every ~0.3 s per executor (~25 % of
 * its CPU). Reused, it costs nothing. The free list is bounded, so the pool never holds more than the pages that
 * were in flight at once; a page never released (an error, a consumer that does not release) is simply collected.
 */
export class ReusablePool<T extends { readonly length: number }> {
  private readonly free: T[] = [];
  /** Items made new and items handed out again: new ones that grow with the pages read mean pages are not released. */
  private readonly counts = { allocated: 0, reused: 0 };
  /** Handed out and not released yet, and the most that ever were at once. */
  private outstanding = 0;
  private peak = 0;

  constructor(private readonly allocate: (length: number) => T, private limit: number) {}

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
    return this.allocate(Math.ceil(length * 1.25));
  }

  release(item: T): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.free.length < this.keep()) this.free.push(item);
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

export const frameBuffers = new ReusablePool<Buffer>((length) => Buffer.allocUnsafeSlow(length), 4);
/** A frame read straight into a pooled buffer (socket-frames.ts), by the view the driver sees: the buffer to release. */
export const pooledFrameOwners = new WeakMap<Buffer, Buffer>();
/** Starts and lengths of a page's cells, side by side: [starts..., lengths...]. */
export const cellOffsets = new ReusablePool<Int32Array>((length) => new Int32Array(length), 4);

/** Sets how many pages' buffers each pool keeps (an executor: 2 × its cores). */
export function keepPageBuffers(pages: number): void {
  frameBuffers.setLimit(pages);
  cellOffsets.setLimit(pages);
}

/** This process's page frame buffers so far: made new, and reused from the pool. */
export function pageBufferCounts(): { readonly allocated: number; readonly reused: number; readonly atOnce: number } {
  return frameBuffers.acquired;
}
