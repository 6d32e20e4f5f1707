import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlowProducer, JobsOptions, Queue } from 'bullmq';
import { bullmq } from './queue-modules.js';
import type { Redis } from 'ioredis';
import { messageOf } from '../errors/index.js';
import type { TaskErrorJson } from '../observe/index.js';
import type { Runner, RunnerInput, RunnerOutcome, SplitFailure } from './runner.js';
import type { RunnerTask } from '../task/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import { lastEventId, readEvents } from './event-stream.js';
import { openRedis } from './redis-connection.js';
import { driverKey, DRIVER_SILENT_MS, RUN_RETRY_BACKOFF, RUNS_QUEUE, splitJobId, splitQueueName, WORKER_KEY_PATTERN } from './redis-keys.js';
import { saveRunRecord, setRunStatus, shareableConfig, type DistributedRunStatus } from './run-record.js';
import type { RunSigner } from './run-signature.js';
import { publishLimits } from './shared-limits.js';
import type { SplitJobData, SplitJobResult } from './split-worker.js';
import type { LiveLimits } from './live-limits.js';
import { configuredLimits, type RunLimits } from '../task/index.js';

/** Where a distributed run's workers find it, and what they are told of it. */
export interface DistributedOptions {
  readonly redisUrl: string;
  readonly source: string;
  readonly target: string;
  readonly endpoints: readonly TargetEndpoint[];
  /** Signs the run record and each split job (C2Y_RUN_KEY): workers act on nothing else. */
  readonly signer: RunSigner;
}

type DistributedRunInput = RunnerInput & DistributedOptions;

/** `c2y worker`s on other machines, through BullMQ on Redis. */
export function distributedRunner(options: DistributedOptions): Runner {
  return { kind: 'distributed', run: (input) => runDistributed({ ...input, ...options }) };
}

const POLL_MS = 500;
const NO_WORKER_WARNING_MS = 10_000;
const KEEP_COMPLETED_S = 7 * 24 * 3600;
const KEEP_FAILED_S = 30 * 24 * 3600;

/** A job's failedReason is the typed error the worker threw as JSON; BullMQ's own reasons (stalls) are not. */
export function failureOf(reason: string | undefined): TaskErrorJson {
  try {
    const parsed = JSON.parse(reason ?? '') as Partial<TaskErrorJson>;
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') {
      return { code: parsed.code, message: parsed.message, hint: typeof parsed.hint === 'string' ? parsed.hint : undefined, retryable: parsed.retryable === true };
    }
  } catch {
    // not JSON: one of BullMQ's own reasons
  }
  const stalled = /stalled/i.test(reason ?? '');
  return { code: stalled ? 'EXECUTOR_CRASHED' : 'DISTRIBUTED_RUN_FAILED', message: stalled ? `the split's worker stopped answering too many times (${reason})` : (reason ?? 'unknown'), retryable: true };
}

async function liveWorkers(redis: Redis): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', WORKER_KEY_PATTERN, 'COUNT', 200);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * The driver of a distributed run: records the run in Redis (without secrets), enqueues one job per split under a
 * parent job for the run, and turns the workers' events into the same listener calls a local run makes.
 * Same input and outcome as runLocal, so migrate's report, progress and dashboard do not know the difference.
 */
async function runDistributed(input: DistributedRunInput): Promise<RunnerOutcome> {
  const { config, runId, signer } = input;
  // Ctrl-C while the run was being planned: nothing is enqueued, so no worker writes a row.
  if (input.signal.aborted) return { completed: [], digests: new Map(), failed: [], retries: 0, interrupted: true, outOfMemory: false };
  const redis = await openRedis(input.redisUrl, 'driver');
  const reader = redis.duplicate();
  reader.on('error', () => undefined);
  const { FlowProducer, Queue } = await bullmq();
  const queue = new Queue<SplitJobData, SplitJobResult>(splitQueueName(runId), { connection: redis });
  const runsQueue = new Queue(RUNS_QUEUE, { connection: redis });
  const flow = new FlowProducer({ connection: redis });
  const stop = { stopped: false };
  let eventsDone: Promise<void> = Promise.resolve();
  const cancel = new AbortController();
  let retries = 0;
  let stopFollowing = (): void => undefined;
  const driverName = `${hostname()}/${process.pid}`;
  // Workers serve a run only while its driver beats; a driver that dies leaves an orphan they drop, and that a
  // `--resume` (this same code) adopts by beating again.
  const beat = (): Promise<unknown> => redis.set(driverKey(runId), driverName, 'PX', DRIVER_SILENT_MS).catch(() => undefined);
  const heartbeat = setInterval(() => void beat(), DRIVER_SILENT_MS / 8);
  try {
    await beat();
    const fromEventId = await lastEventId(redis, runId);
    await saveRunRecord(redis, runRecordOf(input, driverName), signer);
    eventsDone = followEvents(reader, input, fromEventId, stop, {
      retried: () => retries++,
      // onError: stop — the first value the target cannot hold stops the whole run, as locally.
      unrepresentable: () => cancel.abort(),
    });

    // A cancelled earlier attempt left the queue paused.
    await queue.resume();
    stopFollowing = await followLimits(redis, queue, input);
    await enqueue(queue, runsQueue, flow, runId, signer, input.tasks, {
      attempts: config.maxRetries + 1, // The workers' own strategy: the run's retry policy (errors/retry-policy.ts), jittered.
      backoff: { type: RUN_RETRY_BACKOFF }, removeOnComplete: { age: KEEP_COMPLETED_S }, removeOnFail: { age: KEEP_FAILED_S },
    });

    const onAbort = (): void => cancel.abort();
    input.signal.addEventListener('abort', onAbort, { once: true });
    const cancelling = await waitForSplits(redis, queue, input, cancel.signal);
    input.signal.removeEventListener('abort', onAbort);
    const { completed, failed } = await splitOutcomes(queue, input, cancelling);
    const interrupted = cancelling && !failed.some((f) => f.error.code === 'VALUE_UNREPRESENTABLE');
    const status: DistributedRunStatus = failed.length > 0 ? 'failed' : interrupted ? 'interrupted' : 'finished';
    await setRunStatus(redis, runId, status, signer);
    stop.stopped = true;
    await eventsDone;
    return { completed, digests: new Map(), failed, retries, interrupted: input.signal.aborted, outOfMemory: failed.some((f) => f.error.code === 'EXECUTOR_OUT_OF_MEMORY') };
  } finally {
    stopFollowing();
    clearInterval(heartbeat);
    await redis.del(driverKey(runId)).catch(() => undefined);
    stop.stopped = true;
    await eventsDone.catch(() => undefined);
    await flow.close().catch(() => undefined);
    await runsQueue.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    reader.disconnect();
    redis.disconnect();
  }
}

/** What the workers read of the run (signed by the caller): its settings without secrets, its tables, its targets. */
function runRecordOf(input: DistributedRunInput, driverName: string): Parameters<typeof saveRunRecord>[1] {
  return {
    runId: input.runId, source: input.source, target: input.target, config: shareableConfig(input.config), table: input.table,
    ...(input.tables ? { tables: input.tables.map((job) => ({ ...job, config: shareableConfig(job.config) })) } : {}),
    endpoints: input.endpoints, splits: input.tasks.length, startedAt: Date.now(), driver: driverName, status: 'running',
  };
}

/**
 * The workers' events, from `fromEventId` on, told to the run's listener until `stop`; a read of Redis that fails
 * is warned about, not fatal (the figures stall, the end is read from the jobs and checkpoints).
 */
function followEvents(
  reader: Redis, input: DistributedRunInput, fromEventId: string, stop: { stopped: boolean },
  on: { readonly retried: () => void; readonly unrepresentable: () => void },
): Promise<void> {
  return readEvents(reader, input.runId, fromEventId, (event) => {
    if (event.type === 'split-retry') on.retried();
    input.listener(event);
    if (event.type === 'split-failed' && event.code === 'VALUE_UNREPRESENTABLE') on.unrepresentable();
  }, stop).catch((error: unknown) => {
    input.log.warn('reading the workers\' events from Redis failed; figures may stall, the splits go on', { error: messageOf(error) });
  });
}

/**
 * Polls the split queue until no split is active and none is left (or, once `cancel` fires, until the active ones
 * have stopped), warning when no worker serves the run. Says whether the run was cancelled.
 */
async function waitForSplits(redis: Redis, queue: Queue, input: DistributedRunInput, cancel: AbortSignal): Promise<boolean> {
  let cancelling = false;
  let lastProgressAt = Date.now();
  let lastCompleted = -1;
  for (;;) {
    if (cancel.aborted && !cancelling) {
      cancelling = true;
      await queue.pause();
      await setRunStatus(redis, input.runId, 'cancelling', input.signer);
    }
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed');
    const left = (counts['waiting'] ?? 0) + (counts['delayed'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['paused'] ?? 0);
    const active = counts['active'] ?? 0;
    if (active === 0 && (cancelling || left === 0)) return cancelling;
    if ((counts['completed'] ?? 0) !== lastCompleted) {
      lastCompleted = counts['completed'] ?? 0;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > NO_WORKER_WARNING_MS) {
      lastProgressAt = Date.now();
      if ((await liveWorkers(redis)) === 0) {
        input.log.warn('no live worker serves this run', { runId: input.runId, splitsWaiting: left + active, hint: 'start one on each machine: c2y worker --redis <url>' });
      }
    }
    await sleep(POLL_MS);
  }
}

/** This run's splits as its jobs ended: done, or failed with the worker's typed error (a cancelled one's interruption left out). */
async function splitOutcomes(queue: Queue<SplitJobData, SplitJobResult>, input: DistributedRunInput, cancelling: boolean): Promise<{ completed: number[]; failed: SplitFailure[] }> {
  const ours = new Set(input.tasks.map((task) => splitJobId(input.runId, task.id)));
  const completed: number[] = [];
  const failed: SplitFailure[] = [];
  for (const job of await queue.getJobs(['completed'])) if (job?.id && ours.has(job.id)) completed.push(job.data.task.id);
  for (const job of await queue.getJobs(['failed'])) {
    if (!job?.id || !ours.has(job.id)) continue;
    const error = failureOf(job.failedReason);
    if (cancelling && error.code === 'INTERRUPTED') continue;
    failed.push({ splitId: job.data.task.id, error, attempts: job.attemptsMade });
  }
  return { completed, failed };
}

/**
 * Publishes the run's limits (signed) for the workers, now and on every `c2y tune`, and keeps the queue's global
 * concurrency at the run's parallelism (or the tuned one): splits not yet started wait, running ones finish.
 */
async function followLimits(redis: Redis, queue: Queue, input: DistributedRunInput): Promise<() => void> {
  const { config, runId, signer } = input;
  let version = 0;
  let concurrency = 0;
  const apply = async (limits: RunLimits): Promise<void> => {
    // Above any earlier driver's (a resume): workers ignore a version lower than one they have seen.
    version = Math.max(version + 1, Date.now());
    await publishLimits(redis, runId, { limits, version }, signer);
    const next = Math.max(1, Math.min(limits.maxStreams ?? config.parallelism, input.tasks.length));
    if (next !== concurrency) await queue.setGlobalConcurrency(next);
    concurrency = next;
  };
  const live: LiveLimits | undefined = input.limits;
  await apply(live?.current() ?? configuredLimits(config));
  let applying = Promise.resolve();
  const stop = live?.onChange((limits) => {
    applying = applying.then(() => apply(limits)).catch((error: unknown) => {
      input.log.warn('publishing the tuned limits to Redis failed', { error: messageOf(error) });
    });
  });
  return () => void stop?.();
}

/**
 * One job per split, id = run + split, so enqueueing again never duplicates: a failed job is retried, a waiting or
 * active one (a resume while workers still hold it) is left alone, a missing one is added under the run's parent.
 */
async function enqueue(queue: Queue<SplitJobData, SplitJobResult>, runsQueue: Queue, flow: FlowProducer, runId: string, signer: RunSigner, tasks: readonly RunnerTask[], opts: JobsOptions): Promise<void> {
  const toAdd: RunnerTask[] = [];
  for (const task of tasks) {
    const job = await queue.getJob(splitJobId(runId, task.id));
    if (!job) {
      toAdd.push(task);
      continue;
    }
    const state = await job.getState();
    // A resumed split gets its full attempts again, as a local resume does.
    if (state === 'failed') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    else if (state === 'completed' || state === 'unknown') {
      // Its checkpoint says unfinished (the target is the truth): run it again.
      await job.remove();
      toAdd.push(task);
    }
  }
  if (toAdd.length === 0) return;
  const child = (task: RunnerTask): { name: string; data: SplitJobData; opts: JobsOptions } => ({ name: `split-${task.id}`, data: { runId, task, mac: signer.sign('split-job', runId, JSON.stringify(task)) }, opts: { ...opts, jobId: splitJobId(runId, task.id) } });
  const parent = await runsQueue.getJob(runId);
  if (!parent) {
    await flow.add({ name: 'run', queueName: RUNS_QUEUE, data: { runId }, opts: { jobId: runId }, children: toAdd.map((task) => ({ ...child(task), queueName: queue.name })) });
  } else {
    const underParent = (await parent.getState()) === 'waiting-children';
    await queue.addBulk(toAdd.map((task) => {
      const job = child(task);
      return underParent ? { ...job, opts: { ...job.opts, parent: { id: runId, queue: `bull:${RUNS_QUEUE}` } } } : job;
    }));
  }
}
