import { describe, expect, it } from 'vitest';
import { LiveLimits, tunedLimits } from '../../src/runner/live-limits.js';
import { StreamThrottle, type RunLimits, type ThrottleShares } from '../../src/task/stream-throttle.js';

const never = new AbortController().signal;
const NONE: RunLimits = { sourceRowsPerSecond: undefined, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined };
const fixed = (limits: Partial<RunLimits>, streams: number): (() => ThrottleShares) => () => ({ limits: { ...NONE, ...limits }, streams });

async function timed(action: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

describe('a stream\'s share of the run\'s rate limits', () => {
  it('divides each global rate by the streams sharing it and waits as long as the strictest one asks', async () => {
    // 4,000 rows/s over 4 streams: 1,000 rows/s here; 500 rows take about 0.5 s.
    const throttle = new StreamThrottle(fixed({ targetRowsPerSecond: 4000 }, 4));
    const waited = await timed(() => throttle.after({ read: 500, rows: 500, bytes: 0 }, never));
    expect(waited).toBeGreaterThan(400);
    expect(waited).toBeLessThan(900);
    expect(throttle.take()).toBeGreaterThan(400);
    expect(throttle.take()).toBe(0);
  });

  it('keeps the strictest of rows and bytes, and does nothing without limits', async () => {
    const bytes = new StreamThrottle(fixed({ sourceRowsPerSecond: 1e9, targetRowsPerSecond: 1e9, targetBytesPerSecond: 100_000 }, 1));
    expect(await timed(() => bytes.after({ read: 10, rows: 10, bytes: 30_000 }, never))).toBeGreaterThan(250);
    const free = new StreamThrottle(fixed({}, 1));
    expect(free.limited).toBe(false);
  });

  it('stops waiting when the split is interrupted', async () => {
    const throttle = new StreamThrottle(fixed({ sourceRowsPerSecond: 10 }, 1));
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    expect(await timed(() => throttle.after({ read: 1000, rows: 1000, bytes: 0 }, abort.signal))).toBeLessThan(1000);
  });

  it('follows a limit changed while it runs, and the streams sharing it, from the next page', async () => {
    let shares: ThrottleShares = { limits: { ...NONE, targetRowsPerSecond: 1000 }, streams: 1 };
    const throttle = new StreamThrottle(() => shares);
    expect(await timed(() => throttle.after({ read: 500, rows: 500, bytes: 0 }, never))).toBeGreaterThan(400);
    // Tuned up tenfold: the same page now takes a tenth of the time.
    shares = { ...shares, limits: { ...NONE, targetRowsPerSecond: 10_000 } };
    expect(await timed(() => throttle.after({ read: 500, rows: 500, bytes: 0 }, never))).toBeLessThan(150);
    // Nine more streams share it: back to 1,000 rows/s for this one.
    shares = { ...shares, streams: 10 };
    expect(await timed(() => throttle.after({ read: 500, rows: 500, bytes: 0 }, never))).toBeGreaterThan(350);
    // Lifted: no wait at all.
    shares = { limits: NONE, streams: 10 };
    expect(throttle.limited).toBe(false);
    expect(await timed(() => throttle.after({ read: 1e6, rows: 1e6, bytes: 1e9 }, never))).toBeLessThan(20);
  });

  it('ends a long wait soon after the limit is lifted or raised, not when the old pace would have', async () => {
    let shares: ThrottleShares = { limits: { ...NONE, targetRowsPerSecond: 100 }, streams: 1 };
    const throttle = new StreamThrottle(() => shares);
    // 1,000 rows at 100 rows/s: a 10 s wait, lifted after 300 ms.
    setTimeout(() => (shares = { limits: NONE, streams: 1 }), 300);
    expect(await timed(() => throttle.after({ read: 1000, rows: 1000, bytes: 0 }, never))).toBeLessThan(800);
    // Pages read while unlimited are not billed when a limit comes back.
    await throttle.after({ read: 1e6, rows: 1e6, bytes: 0 }, never);
    shares = { limits: { ...NONE, targetRowsPerSecond: 1000 }, streams: 1 };
    expect(await timed(() => throttle.after({ read: 100, rows: 100, bytes: 0 }, never))).toBeLessThan(250);
  });

  it('banks at most a second of credit while it goes slower than its share', async () => {
    const throttle = new StreamThrottle(fixed({ targetRowsPerSecond: 1000 }, 1), performance.now() - 60_000);
    // A minute idle would have banked 60,000 rows; one second's worth (1,000) is kept, so 2,000 rows wait ~1 s.
    const waited = await timed(() => throttle.after({ read: 2000, rows: 2000, bytes: 0 }, never));
    expect(waited).toBeGreaterThan(800);
  });
});

describe('tuned limits', () => {
  it('lay tuned values over the config\'s, null lifting one, and tell listeners', () => {
    const base: RunLimits = { sourceRowsPerSecond: 100, targetRowsPerSecond: 200, targetBytesPerSecond: undefined };
    expect(tunedLimits(base, { 'target.rowsPerSecond': 500, 'source.readsPerSecond': null })).toEqual({ sourceRowsPerSecond: undefined, targetRowsPerSecond: 500, targetBytesPerSecond: undefined });
    const live = new LiveLimits(base);
    const seen: RunLimits[] = [];
    const stop = live.onChange((limits) => seen.push(limits));
    live.set(tunedLimits(base, { 'target.bytesPerSecond': 1e6 }));
    stop();
    live.set(base);
    expect(seen).toEqual([{ ...base, targetBytesPerSecond: 1e6 }]);
  });
});

describe('a distributed run\'s stream, paced by the run\'s buckets', () => {
  it('waits what the buckets answer, counts it as throttled, and stops early when the limits are tuned', async () => {
    const asked: number[] = [];
    let shares: ThrottleShares = { limits: { ...NONE, targetRowsPerSecond: 100 }, streams: 4, take: (page) => Promise.resolve(asked.push(page.rows) && 400) };
    const throttle = new StreamThrottle(() => shares);
    const waited = await timed(() => throttle.after({ read: 50, rows: 50, bytes: 10 }, never));
    // The answer decides, not this stream's equal share (50 rows at 25 rows/s would be 2 s).
    expect(waited).toBeGreaterThan(350);
    expect(waited).toBeLessThan(1000);
    expect(asked).toEqual([50]);
    expect(throttle.take()).toBeGreaterThan(350);

    const long = { ...shares, take: () => Promise.resolve(10_000) };
    shares = long;
    setTimeout(() => (shares = { ...long, limits: { ...NONE } }), 300);
    expect(await timed(() => throttle.after({ read: 1, rows: 1, bytes: 1 }, never))).toBeLessThan(1500);
  });
});

describe('a distributed stream without a limit', () => {
  it('asks its worker nothing: no round trip for every page when there is nothing to take', async () => {
    const asked: number[] = [];
    const throttle = new StreamThrottle(() => ({ limits: { ...NONE }, streams: 4, take: (page) => Promise.resolve(asked.push(page.rows) && 0) }));
    for (let i = 0; i < 5; i++) await throttle.after({ read: 50, rows: 50, bytes: 10 }, never);
    expect(asked).toEqual([]);
  });
});

describe('a distributed stream whose pace answer never comes', () => {
  it('stops waiting for it when the split is interrupted', async () => {
    const throttle = new StreamThrottle(() => ({ limits: { ...NONE, targetRowsPerSecond: 100 }, streams: 1, take: () => new Promise<number>(() => undefined) }));
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    expect(await timed(() => throttle.after({ read: 1, rows: 1, bytes: 1 }, abort.signal))).toBeLessThan(1000);
  });
});
