import { getHeapSpaceStatistics } from 'node:v8';

/** Garbage an executor's old space may gather (over its live set after a collection) before it asks for a full one. */
export const OLD_SPACE_SLACK_BYTES = 2 * 1024 * 1024;

/** The executor's Node flag that gives it `gc()`: the bound's only way to ask V8 for a full collection. */
export const EXPOSE_GC_FLAG = '--expose-gc';

/**
 * V8's old and large-object spaces in use: what scavenges promoted, garbage included. Not the array buffers outside
 * V8's heap: those are mostly the page pool and the COPY chunk writers, live and filled during a run's first seconds
 * (a bound on them collected ~7 times in a 1M-row run's first 5 s, ~0.2 µs a row, for nothing); at steady state they
 * hold level, and the garbage they did leave, at each split's end, is now reused (stream-buffers.ts).
 */
export function oldSpaceUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space' || space.space_name === 'large_object_space') used += space.space_used_size;
  }
  return used;
}

/** `gc()` where the process was started with EXPOSE_GC_FLAG, else undefined (the bound then does nothing). */
export function exposedCollector(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}

/**
 * Keeps an executor's old space within a slack of its live set. V8 starts a full collection only when the old space
 * reaches --initial-old-space-size (128 MiB, OLD_SPACE_FLOOR_MIB, which keeps it from collecting every 0.3 s for the
 * page buffers it counts), and a 10M-row run never got there: what scavenges promoted (pages' objects in flight for
 * ~0.3 s outlive two scavenges) and the buffers it held stayed for the whole run, an RSS that grew with the rows
 * (10M-row runs, 2026-12-05: heap 19.7 → 22.4 MiB, no full collection in 80 s). Checked on each memory report: once
 * the old space has grown by the slack since the last collection, one full collection (~25–40 ms; at steady state
 * the old space grows ~0.05 MiB/s, so about one every 40 s).
 */
export class OldSpaceBound {
  private baseline: number;
  private collections = 0;

  constructor(
    private readonly collect: (() => void) | undefined,
    private readonly measure: () => number = oldSpaceUsed,
    private readonly slackBytes = OLD_SPACE_SLACK_BYTES,
  ) {
    this.baseline = measure();
  }

  /** True when it collected. Growth below the baseline means V8 collected on its own: the baseline follows it down. */
  check(): boolean {
    if (!this.collect) return false;
    const now = this.measure();
    if (now < this.baseline) this.baseline = now;
    if (now - this.baseline < this.slackBytes) return false;
    this.collect();
    this.collections++;
    this.baseline = this.measure();
    return true;
  }

  /** Full collections it asked for so far. */
  get collected(): number {
    return this.collections;
  }
}
