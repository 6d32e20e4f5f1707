import { describe, expect, it } from 'vitest';
import { StreamThrottle } from '../../src/run/stream-throttle.js';

const never = new AbortController().signal;

describe('a stream\'s share of the run\'s rate limits', () => {
  it('divides each global rate by the run\'s streams and waits as long as the strictest one asks', async () => {
    // 4,000 rows/s over 4 streams: 1,000 rows/s here; 500 rows take about 0.5 s.
    const throttle = new StreamThrottle({ sourceRowsPerSecond: undefined, targetRowsPerSecond: 4000, targetBytesPerSecond: undefined }, 4);
    const started = performance.now();
    await throttle.after({ read: 500, rows: 500, bytes: 0 }, never);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(400);
    expect(waited).toBeLessThan(900);
    expect(throttle.take()).toBeGreaterThan(400);
    expect(throttle.take()).toBe(0);
  });

  it('keeps the strictest of rows and bytes, and does nothing without limits', async () => {
    const bytes = new StreamThrottle({ sourceRowsPerSecond: 1e9, targetRowsPerSecond: 1e9, targetBytesPerSecond: 100_000 }, 1);
    const started = performance.now();
    await bytes.after({ read: 10, rows: 10, bytes: 30_000 }, never);
    expect(performance.now() - started).toBeGreaterThan(250);
    const free = new StreamThrottle({ sourceRowsPerSecond: undefined, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined }, 1);
    expect(free.limited).toBe(false);
  });

  it('stops waiting when the split is interrupted', async () => {
    const throttle = new StreamThrottle({ sourceRowsPerSecond: 10, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined }, 1);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const started = performance.now();
    await throttle.after({ read: 1000, rows: 1000, bytes: 0 }, abort.signal);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
