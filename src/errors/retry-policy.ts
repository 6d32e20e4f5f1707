/** How long to wait before retry n: doubling from `baseMs`, never above `capMs`. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

/** The run's own policy for splits and bookkeeping: retryBackoffMs doubling, up to a minute. */
export function runRetryPolicy(config: { readonly retryBackoffMs: number }): RetryPolicy {
  return { baseMs: config.retryBackoffMs, capMs: 60_000 };
}

/** A page read retried against the next replica: quick, since another replica usually answers at once. */
export const PAGE_RETRY: RetryPolicy = { baseMs: 250, capMs: 8_000 };

/** The run lock taken again after the target restarted. */
export const LOCK_RETRY: RetryPolicy = { baseMs: 250, capMs: 10_000 };

/**
 * The wait before retry `retry` (1 = the first retry). Half of the doubled step is fixed and half is random
 * ("equal jitter"): streams that failed together (a node restarting under all of them) come back spread over the
 * step instead of all at once, and none comes back sooner than half the step.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * `attempt` run up to `attempts` times, waiting by `policy` between tries; `onRetry` hears each failure that is
 * retried. The last failure is thrown as it was.
 */
export async function withRetries<T>(policy: RetryPolicy, attempts: number, attempt: () => Promise<T>, onRetry?: (retry: { readonly retry: number; readonly delayMs: number; readonly error: unknown }) => void): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= attempts) throw error;
      const delayMs = retryDelayMs(policy, retry);
      onRetry?.({ retry, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
