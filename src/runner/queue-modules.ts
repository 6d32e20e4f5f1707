/**
 * BullMQ and ioredis, loaded when a run first touches Redis. A local run never does, and loading them (some 200
 * CommonJS modules: BullMQ, ioredis, semver, msgpackr, cron-parser, luxon) cost a local driver ~0.25 s of CPU.
 */
type BullMq = typeof import('bullmq');
type IoRedis = typeof import('ioredis');

let loadedBullMq: BullMq | undefined;

/**
 * A CommonJS package's exports as `import()` gives them: Node names them beside `default` (its module.exports); the
 * CLI's bundle (scripts/bundle.mjs) gives module.exports as `default` only. `probe` is an export Node would name.
 */
export function commonJsExports<T extends object>(imported: T, probe: keyof T): T {
  if (probe in imported) return imported;
  const exported = (imported as { default?: unknown }).default;
  if (typeof exported === 'object' || typeof exported === 'function') {
    if (exported !== null && probe in exported) return exported as T;
  }
  throw new Error(`the imported package has no export named ${String(probe)}`);
}

export async function bullmq(): Promise<BullMq> {
  loadedBullMq ??= commonJsExports(await import('bullmq'), 'Queue');
  return loadedBullMq;
}

export async function ioredis(): Promise<Pick<IoRedis, 'Redis'>> {
  const { Redis } = commonJsExports(await import('ioredis'), 'Redis');
  return { Redis };
}

/**
 * BullMQ's "moved to delayed, not failed" error, thrown after `job.moveToDelayed(…, token)`: the job waits and runs
 * again without spending one of its attempts.
 */
export function delayedError(): Error {
  if (loadedBullMq === undefined) throw new Error('BullMQ is not loaded (delaying a job)');
  return new loadedBullMq.DelayedError();
}

/** BullMQ's "do not retry" error; only thrown from jobs of a worker, which loaded BullMQ to take them. */
export function unrecoverable(message: string): Error {
  if (loadedBullMq === undefined) throw new Error(`BullMQ is not loaded (${message})`);
  return new loadedBullMq.UnrecoverableError(message);
}
