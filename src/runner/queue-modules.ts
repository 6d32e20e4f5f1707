/**
 * BullMQ and ioredis, loaded when a run first touches Redis. A local run never does, and loading them (some 200
 * CommonJS modules: BullMQ, ioredis, semver, msgpackr, cron-parser, luxon) cost a local driver ~0.25 s of CPU.
 */
type BullMq = typeof import('bullmq');
type IoRedis = typeof import('ioredis');

let loadedBullMq: BullMq | undefined;

export async function bullmq(): Promise<BullMq> {
  loadedBullMq ??= await import('bullmq');
  return loadedBullMq;
}

export async function ioredis(): Promise<Pick<IoRedis, 'Redis'>> {
  const { Redis } = await import('ioredis');
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
