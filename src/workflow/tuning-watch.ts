import { messageOf } from '../errors/index.js';
import type { Logger } from '../observe/index.js';
import type { Queryable, RunSettingsStore } from '../sink/index.js';
import type { RunLimits } from '../task/index.js';
import { describeLimits, tunedLimits, type LiveLimits } from '../runner/index.js';

export interface TuningWatch {
  /** Reads and applies a pending change now (the driver does so once before its first task). */
  poll(): Promise<void>;
  stop(): void;
}

/**
 * Polls the run's tuned settings (every 2 s) on the driver's own connection, applies a change to `limits`, logs it
 * and acknowledges it, so `c2y tune` can say it took effect. A failed read is logged once and retried.
 */
export function watchTuning(input: {
  readonly db: Queryable; readonly store: RunSettingsStore; readonly runId: string; readonly base: RunLimits; readonly limits: LiveLimits; readonly log: Logger; readonly intervalMs?: number;
}): TuningWatch {
  let lastError: string | undefined;
  let polling: Promise<void> | undefined;
  const pollOnce = async (): Promise<void> => {
    try {
      const stored = await input.store.read(input.db, input.runId);
      lastError = undefined;
      if (!stored || stored.appliedAt === stored.changedAt) return;
      const before = input.limits.tuned();
      const next = tunedLimits(input.base, stored.settings);
      input.limits.set(next);
      await input.store.acknowledge(input.db, input.runId, stored.changedAt);
      input.log.info('tuned', { runId: input.runId, from: describeLimits(before), to: describeLimits(next), changedAt: stored.changedAt });
    } catch (error) {
      const message = messageOf(error);
      if (message !== lastError) input.log.warn('cannot read tuned settings; the run goes on with its current limits', { error: message });
      lastError = message;
    }
  };
  const poll = (): Promise<void> => (polling ??= pollOnce().finally(() => (polling = undefined)));
  const timer = setInterval(() => void poll(), input.intervalMs ?? 2000);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
