import { describe, expect, it } from 'vitest';
import { AdaptiveReads } from '../../src/workflow/adaptive-reads.js';
import { LiveLimits } from '../../src/runner/live-limits.js';
import { LATENCY_BOUNDS_MS } from '../../src/telemetry/index.js';

/** An executor's cumulative page-read counts with `pages` more reads of `ms` each. */
function latencies(previous: number[], pages: number, ms: number): number[] {
  const next = [...previous];
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  next[index === -1 ? LATENCY_BOUNDS_MS.length : index] = (next[index === -1 ? LATENCY_BOUNDS_MS.length : index] ?? 0) + pages;
  return next;
}

/** Drives the controller window by window: each window reads `rate` rows/s with page reads of `ms`. */
function driver() {
  const controller = new AdaptiveReads(0);
  let now = 0;
  let rows = 0;
  let counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  return {
    controller,
    window(rate: number, ms: number, retries = 0) {
      counts = latencies(counts, 10, ms);
      controller.observe({ type: 'latency', executor: 1, pageReadMs: counts, commitMs: [] });
      for (let i = 0; i < retries; i++) controller.observe({ type: 'page-retry', splitId: 1, attempt: 2, replica: null, error: 'read timeout', executor: 1 });
      now += 2000;
      rows += rate * 2;
      return controller.tick(now, rows);
    },
  };
}

describe('source.adaptive: the cap on reads', () => {
  it('backs off to 70 % of the rate read when page reads slow down, holds, then raises 10 % a window and lifts', () => {
    const run = driver();
    for (let i = 0; i < 3; i++) expect(run.window(10_000, 5).change).toBeUndefined();
    const backed = run.window(8000, 200);
    expect(backed).toMatchObject({ change: 'backed-off', capRowsPerSecond: 5600 });
    expect(backed.reason).toContain('median page read 200 ms, against 5 ms');
    // Still slow, and slower under the cap: down again from the cap.
    expect(run.window(5000, 200)).toMatchObject({ change: 'backed-off', capRowsPerSecond: 3500 });
    // Healthy again: held for 10 s, no change.
    for (let i = 0; i < 4; i++) expect(run.window(3500, 5).change).toBeUndefined();
    expect(run.window(3500, 5)).toMatchObject({ change: 'raised', capRowsPerSecond: 3850 });
    expect(run.window(3850, 5)).toMatchObject({ change: 'raised', capRowsPerSecond: 4235 });
    let last;
    for (let i = 0; i < 40 && last?.change !== 'lifted'; i++) last = run.window(5000, 5);
    expect(last).toMatchObject({ change: 'lifted', capRowsPerSecond: undefined });
    expect(run.controller.summary()).toMatchObject({ backoffs: 2, lowestRowsPerSecond: 3500 });
    expect(run.controller.summary().cappedSeconds).toBeGreaterThan(10);
  });

  it('backs off on page reads retried, whatever their latency', () => {
    const run = driver();
    run.window(10_000, 5);
    const backed = run.window(10_000, 5, 2);
    expect(backed).toMatchObject({ change: 'backed-off', capRowsPerSecond: 7000 });
    expect(backed.reason).toContain('2 page read(s) failed and were asked again (read timeout)');
  });

  it('ignores small rises and sub-50 ms noise, and never goes under its floor', () => {
    const run = driver();
    run.window(10_000, 1);
    // 1 → 30 ms is 30 times, but under 50 ms above the best: no trouble.
    expect(run.window(10_000, 30).change).toBeUndefined();
    for (let i = 0; i < 20; i++) run.window(100, 1000, 1);
    // 5 % of the best rate read (10,000), or 50 rows/s.
    expect(run.controller.summary().lowestRowsPerSecond).toBe(500);
  });

  it('takes a lasting rise that no back-off cures as the new normal within about a minute', () => {
    const run = driver();
    for (let i = 0; i < 3; i++) run.window(10_000, 50);
    expect(run.window(10_000, 150).change).toBe('backed-off');
    let quiet = 0;
    for (let i = 0; i < 60; i++) quiet = run.window(1000, 150).change === 'backed-off' ? 0 : quiet + 1;
    expect(quiet).toBeGreaterThan(20);
  });

  it('counts an executor started again from zero', () => {
    const run = driver();
    run.window(10_000, 5);
    run.window(10_000, 5);
    // The executor restarted: its counts fell. Its new (slow) reads count as they are.
    run.controller.observe({ type: 'latency', executor: 1, pageReadMs: latencies(new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), 5, 300), commitMs: [] });
    expect(run.controller.tick(6000, 60_000).change).toBe('backed-off');
  });
});

describe('the run\'s live limits with the adaptive cap', () => {
  it('apply the stricter of the tuned limit and the cap, and keep their identity while nothing changes', () => {
    const NONE = { sourceRowsPerSecond: undefined, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined };
    const limits = new LiveLimits({ ...NONE, sourceRowsPerSecond: 5000 });
    const seen: Array<number | undefined> = [];
    limits.onChange((next) => seen.push(next.sourceRowsPerSecond));
    const before = limits.current();
    limits.capReads(8000);
    expect(limits.current().sourceRowsPerSecond).toBe(5000);
    limits.capReads(3000);
    expect(limits.current().sourceRowsPerSecond).toBe(3000);
    const capped = limits.current();
    limits.capReads(3000);
    expect(limits.current()).toBe(capped);
    limits.set({ ...NONE });
    expect(limits.current().sourceRowsPerSecond).toBe(3000);
    expect(limits.tuned().sourceRowsPerSecond).toBeUndefined();
    limits.capReads(undefined);
    expect(limits.current().sourceRowsPerSecond).toBeUndefined();
    expect(seen).toEqual([5000, 3000, 3000, undefined]);
    expect(before.sourceRowsPerSecond).toBe(5000);
  });
});
