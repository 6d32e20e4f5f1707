import { describe, expect, it } from 'vitest';
import { retryDelayMs, runRetryPolicy, withRetries, type RetryPolicy } from '../../src/errors/index.js';

const POLICY: RetryPolicy = { baseMs: 100, capMs: 1000 };

describe('the one retry policy: exponential, jittered, capped', () => {
  it('doubles per retry, stays within half and all of its step, and never passes the cap', () => {
    expect(retryDelayMs(POLICY, 1, () => 0)).toBe(50);
    expect(retryDelayMs(POLICY, 1, () => 1)).toBe(100);
    expect(retryDelayMs(POLICY, 3, () => 0)).toBe(200);
    expect(retryDelayMs(POLICY, 3, () => 1)).toBe(400);
    // 100 × 2^9 is far past the cap: the step is the cap.
    expect(retryDelayMs(POLICY, 10, () => 1)).toBe(1000);
    expect(retryDelayMs(POLICY, 60, () => 0.5)).toBe(750);
    expect(runRetryPolicy({ retryBackoffMs: 1000 })).toEqual({ baseMs: 1000, capMs: 60_000 });
  });

  it('spreads streams that failed together over the step instead of retrying them at one instant', () => {
    const delays = Array.from({ length: 200 }, () => retryDelayMs(POLICY, 2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
    expect(new Set(delays).size).toBeGreaterThan(20);
  });

  it('tries up to the attempts given, tells each retry, and throws the last failure as it was', async () => {
    const heard: number[] = [];
    let calls = 0;
    const failing = withRetries({ baseMs: 1, capMs: 2 }, 3, () => Promise.reject(new Error(`boom ${++calls}`)), ({ retry }) => heard.push(retry));
    await expect(failing).rejects.toThrow('boom 3');
    expect(heard).toEqual([1, 2]);
    let tries = 0;
    await expect(withRetries({ baseMs: 1, capMs: 2 }, 5, () => (++tries < 2 ? Promise.reject(new Error('once')) : Promise.resolve('ok')))).resolves.toBe('ok');
    expect(tries).toBe(2);
  });
});
