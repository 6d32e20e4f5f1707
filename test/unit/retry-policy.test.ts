import { describe, expect, it } from 'vitest';
import { retryDelayMs, runRetryPolicy, withRetries, type RetryPolicy } from '../../src/errors/index.js';

const POLICY: RetryPolicy = { baseMs: 100, capMs: 1000 };

describe('the one retry policy: exponential, jittered, capped', () => {
  it('doubles per retry, adds at most half a step, and stops doubling at the cap', () => {
    expect(retryDelayMs(POLICY, 1, () => 0)).toBe(100);
    expect(retryDelayMs(POLICY, 1, () => 1)).toBe(150);
    expect(retryDelayMs(POLICY, 3, () => 0)).toBe(400);
    expect(retryDelayMs(POLICY, 3, () => 1)).toBe(600);
    // 100 × 2^9 is far past the cap: the step is the cap.
    expect(retryDelayMs(POLICY, 10, () => 0)).toBe(1000);
    expect(retryDelayMs(POLICY, 60, () => 1)).toBe(1500);
    expect(runRetryPolicy({ retryBackoffMs: 1000 })).toEqual({ baseMs: 1000, capMs: 60_000 });
  });

  it('spreads streams that failed together instead of retrying them at one instant', () => {
    const delays = Array.from({ length: 200 }, () => retryDelayMs(POLICY, 2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...delays)).toBeLessThanOrEqual(300);
    expect(new Set(delays).size).toBeGreaterThan(20);
  });

  it('never shortens the time retries ride out: 5 retries from 1 s wait at least 1+2+4+8+16 = 31 s, whatever the jitter', () => {
    // A 20 s target outage ended runs as failed when the jitter could halve each wait (15.5 s in all).
    const policy = runRetryPolicy({ retryBackoffMs: 1000 });
    const least = [1, 2, 3, 4, 5].reduce((sum, retry) => sum + retryDelayMs(policy, retry, () => 0), 0);
    expect(least).toBe(31_000);
  });

  it('tries up to the attempts given, tells each retry, and throws the last failure as it was', async () => {
    const heard: number[] = [];
    let calls = 0;
    const failing = withRetries({ baseMs: 1, capMs: 2 }, 3, () => Promise.reject(new Error(`boom ${++calls}`)), { onRetry: ({ retry }) => heard.push(retry) });
    await expect(failing).rejects.toThrow('boom 3');
    expect(heard).toEqual([1, 2]);
    let tries = 0;
    await expect(withRetries({ baseMs: 1, capMs: 2 }, 5, () => (++tries < 2 ? Promise.reject(new Error('once')) : Promise.resolve('ok')))).resolves.toBe('ok');
    expect(tries).toBe(2);
  });

  it('throws at once a failure the retryable test refuses, and retries the ones it takes', async () => {
    let calls = 0;
    const permanent = withRetries({ baseMs: 1, capMs: 2 }, 5, () => Promise.reject(new Error(`bad ${++calls}`)), { retryable: (error) => !String(error).includes('bad') });
    await expect(permanent).rejects.toThrow('bad 1');
    expect(calls).toBe(1);
    let tries = 0;
    const transient = withRetries({ baseMs: 1, capMs: 2 }, 5, () => (++tries < 3 ? Promise.reject(new Error('timeout')) : Promise.resolve('ok')), { retryable: (error) => String(error).includes('timeout') });
    await expect(transient).resolves.toBe('ok');
    expect(tries).toBe(3);
  });

  it('stops waiting and throws the last failure once its signal aborts', async () => {
    const stop = new AbortController();
    let calls = 0;
    const started = Date.now();
    const retried = withRetries({ baseMs: 60_000, capMs: 60_000 }, 5, () => Promise.reject(new Error(`down ${++calls}`)), { signal: stop.signal, onRetry: () => setTimeout(() => stop.abort(), 50) });
    await expect(retried).rejects.toThrow('down 1');
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Aborted before the first failure: no wait at all.
    await expect(withRetries({ baseMs: 60_000, capMs: 60_000 }, 5, () => Promise.reject(new Error('at once')), { signal: stop.signal })).rejects.toThrow('at once');
  });
});
