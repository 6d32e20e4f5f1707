import type { TunedSettings } from '../sink/index.js';
import type { RunLimits } from '../task/index.js';

/**
 * The run's limits as they are now: the config's, then as `c2y tune` changes them, with `source.adaptive`'s cap on
 * reads over them (the stricter of the two). `current()` keeps its identity until something changes.
 */
export class LiveLimits {
  private readonly listeners = new Set<(limits: RunLimits) => void>();
  private readCap: number | undefined;
  private combined: RunLimits;

  constructor(private value: RunLimits) {
    this.combined = value;
  }

  current(): RunLimits {
    return this.combined;
  }

  /** The limits as configured and tuned, without the adaptive cap. */
  tuned(): RunLimits {
    return this.value;
  }

  set(next: RunLimits): void {
    this.value = next;
    this.changed();
  }

  /** `source.adaptive`'s cap on the run's reads (rows a second), or undefined to lift it. */
  capReads(rowsPerSecond: number | undefined): void {
    if (rowsPerSecond === this.readCap) return;
    this.readCap = rowsPerSecond;
    this.changed();
  }

  onChange(listener: (limits: RunLimits) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const reads = this.value.sourceRowsPerSecond;
    const cap = this.readCap;
    this.combined = cap === undefined || (reads !== undefined && reads <= cap) ? this.value : { ...this.value, sourceRowsPerSecond: cap };
    for (const listener of this.listeners) listener(this.combined);
  }
}

/**
 * Tells every executor the run's limits and how many streams share them whenever either changes: the streams of a
 * run's tail, or of a run tuned while it goes on, then keep the run at its limit (not below, not above).
 */
export class LimitsSharer {
  private shared: { limits: RunLimits; streams: number } | undefined;

  constructor(private readonly limits: LiveLimits | undefined, private readonly send: (limits: RunLimits, streams: number) => void) {}

  /** `streams` running now; `force` sends even when nothing changed (an executor that just became ready). */
  share(streams: number, force = false): void {
    const limits = this.limits?.current();
    if (limits === undefined) return;
    const sharing = Math.max(1, streams);
    if (!force && this.shared?.limits === limits && this.shared.streams === sharing) return;
    this.shared = { limits, streams: sharing };
    this.send(limits, sharing);
  }
}

/** The config's limits with the tuned ones over them (null lifts a limit). */
export function tunedLimits(base: RunLimits, settings: TunedSettings): RunLimits {
  const pick = (tuned: number | null | undefined, configured: number | undefined): number | undefined => (tuned === undefined ? configured : tuned ?? undefined);
  return {
    sourceRowsPerSecond: pick(settings['source.readsPerSecond'], base.sourceRowsPerSecond),
    targetRowsPerSecond: pick(settings['target.rowsPerSecond'], base.targetRowsPerSecond),
    targetBytesPerSecond: pick(settings['target.bytesPerSecond'], base.targetBytesPerSecond),
    maxStreams: pick(settings['parallelism'], base.maxStreams),
  };
}

export function describeLimits(limits: RunLimits): string {
  const parts = [
    ['source.readsPerSecond', limits.sourceRowsPerSecond], ['target.rowsPerSecond', limits.targetRowsPerSecond], ['target.bytesPerSecond', limits.targetBytesPerSecond],
    ['parallelism', limits.maxStreams],
  ].filter(([, value]) => value !== undefined).map(([key, value]) => `${String(key)}=${String(value)}`);
  return parts.length === 0 ? 'no limits' : parts.join(', ');
}
