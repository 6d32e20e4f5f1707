/** How long to wait before retry n: doubling from `baseMs` up to a step of `capMs`, plus jitter (retryDelayMs). */
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
 * The wait before retry `retry` (1 = the first retry): the doubled step (at most `capMs`) plus up to half a step
 * more at random. The jitter spreads streams that failed together (a node restarting under all of them) instead of
 * bringing them back at one instant; it only ever adds, so the time retries ride out (an outage of the target, say)
 * is never shorter than the plain doubling's: 1, 2, 4, 8, 16 s from retryBackoffMs 1000 still cover 31 s at least.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step + (random() * step) / 2);
}

/** What withRetries is told beside the attempt: who hears each retry, and which failures are worth one. */
export interface RetryHooks {
  readonly onRetry?: (retry: { readonly retry: number; readonly delayMs: number; readonly error: unknown }) => void;
  /** False for a failure another try cannot cure (it is thrown at once); every failure is retried without it. */
  readonly retryable?: (error: unknown) => boolean;
  /** Once aborted, no further try: a wait in progress ends at once and the last failure is thrown. */
  readonly signal?: AbortSignal;
}

/** Waits `ms`, or less if the signal aborts first. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/**
 * `attempt` run up to `attempts` times, waiting by `policy` between tries; `onRetry` hears each failure that is
 * retried. The last failure, or the first one `retryable` refuses, is thrown as it was.
 */
export async function withRetries<T>(policy: RetryPolicy, attempts: number, attempt: () => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  const stopped = (): boolean => hooks.signal?.aborted === true;
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= attempts || hooks.retryable?.(error) === false || stopped()) throw error;
      const delayMs = retryDelayMs(policy, retry);
      hooks.onRetry?.({ retry, delayMs, error });
      await pause(delayMs, hooks.signal);
      if (stopped()) throw error;
    }
  }
}
