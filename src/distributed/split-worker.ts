import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { C2yConfig } from '../config/index.js';
import { messageOf } from '../errors/index.js';
import type { Logger, TaskErrorJson } from '../observe/index.js';
import { errorToJson, type RunnerTask } from '../run/executor-protocol.js';
import { EventPublisher } from './event-stream.js';
import { ExecutorBridge, TaskFailure } from './executor-bridge.js';
import { NodeLeases } from './node-leases.js';
import { openRedis } from './redis-connection.js';
import { RUNS_QUEUE, splitQueueName, WORKER_SEQUENCE_KEY, workerKey } from './redis-keys.js';
import { listRunIds, readRunRecord, type RunRecord } from './run-record.js';

/** What a split job carries: its run and the task (the same a local executor gets). */
export interface SplitJobData {
  readonly runId: string;
  readonly task: RunnerTask;
}

export interface SplitJobResult {
  readonly rows: number;
  readonly worker: string;
}

/** What an active job says about where it runs, for `c2y status`. */
export interface SplitJobProgress {
  readonly worker: string;
  readonly node: string;
  readonly startedAt: number;
}

export interface WorkerOptions {
  readonly redisUrl: string;
  /** Unique among live workers; host/pid by default. */
  readonly name: string;
  /** Concurrent tasks here; the run's `cores` when not given. */
  readonly cores: number | undefined;
  /** Heap of this worker's executor; the run's `executorMemory` when not given. */
  readonly executorMemory: number | undefined;
  /** Where this machine dials the nodes the run names (NAT, tunnels, test namespaces). */
  readonly addressMap: Readonly<Record<string, string>>;
  /** This machine's own credentials: runs in Redis carry none. */
  readonly secrets: { readonly source: string | undefined; readonly target: string | undefined };
  readonly logger: Logger;
  /** Stop taking splits, finish those in flight, then return. */
  readonly signal: AbortSignal;
}

const HEARTBEAT_MS = 3000;
const HEARTBEAT_TTL_S = 10;
const WATCH_MS = 1000;
const NODE_WAIT_MS = 250;

function interruptedError(): TaskErrorJson {
  return { code: 'INTERRUPTED', message: 'the run was cancelled; the split\'s open transaction was rolled back', retryable: false };
}

/**
 * `c2y worker`: serves runs from Redis, oldest running run first, one run at a time. Each split job runs on this
 * worker's executor with the very task a local run uses; a target-node lease in Redis keeps the per-node cap
 * across workers, and BullMQ's job lock hands a dead worker's splits to the others.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const redis = await openRedis(options.redisUrl, `worker ${options.name}`);
  const log = options.logger;
  const number = await redis.incr(WORKER_SEQUENCE_KEY);
  const state = { runId: null as string | null, inFlight: 0, splitsDone: 0, rows: 0 };
  const startedAt = Date.now();
  const beat = async (): Promise<void> => {
    const body = { name: options.name, host: hostname(), pid: process.pid, executor: number, cores: options.cores ?? null, executorMemory: options.executorMemory ?? null, startedAt, lastSeen: Date.now(), ...state };
    await redis.set(workerKey(options.name), JSON.stringify(body), 'EX', HEARTBEAT_TTL_S).catch(() => undefined);
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  // Parent jobs of runs become ready once all their splits are done; completing them marks the run done in BullMQ.
  const runsConnection = redis.duplicate();
  const runsWorker = new Worker(RUNS_QUEUE, async () => ({ completedAt: Date.now(), by: options.name }), { connection: runsConnection, concurrency: 1 });
  runsWorker.on('error', (error) => log.warn('runs queue', { error: messageOf(error) }));
  log.info('worker started', { worker: options.name, executor: number, host: hostname(), cores: options.cores ?? 'per run', executorMemory: options.executorMemory ?? 'per run' });
  try {
    while (!options.signal.aborted) {
      const record = await nextRun(redis);
      if (!record) {
        await sleep(WATCH_MS, undefined, { signal: options.signal }).catch(() => undefined);
        continue;
      }
      await serveRun(redis, record, number, state, options);
    }
  } finally {
    clearInterval(heartbeat);
    await runsWorker.close().catch(() => undefined);
    // BullMQ leaves connections it was given open; they would keep the process alive.
    runsConnection.disconnect();
    await redis.del(workerKey(options.name)).catch(() => undefined);
    redis.disconnect();
    log.info('worker stopped', { worker: options.name, splits: state.splitsDone, rows: state.rows });
  }
}

async function nextRun(redis: Redis): Promise<RunRecord | undefined> {
  for (const runId of (await listRunIds(redis, 50)).reverse()) {
    const record = await readRunRecord(redis, runId);
    if (record?.status === 'running') return record;
  }
  return undefined;
}

function workerConfig(record: RunRecord, options: WorkerOptions): C2yConfig {
  const { config } = record;
  return {
    ...config,
    cores: options.cores ?? config.cores,
    executorMemory: options.executorMemory ?? config.executorMemory,
    source: { ...config.source, password: options.secrets.source, addressMap: { ...options.addressMap } },
    target: { ...config.target, password: options.secrets.target, addressMap: { ...options.addressMap } },
  };
}

async function serveRun(redis: Redis, record: RunRecord, executor: number, state: { runId: string | null; inFlight: number; splitsDone: number; rows: number }, options: WorkerOptions): Promise<void> {
  const log = options.logger.child({ runId: record.runId });
  const config = workerConfig(record, options);
  const publisher = new EventPublisher(redis, record.runId);
  const bridge = new ExecutorBridge({ executor, executorMemory: config.executorMemory, config, runId: record.runId, table: record.table, copySql: record.copySql, onEvent: (event) => publisher.push(event) });
  try {
    await bridge.ensureStarted();
  } catch (error) {
    // This machine cannot serve the run (e.g. it cannot reach Cassandra, or lacks the password): say so, try later.
    log.error('cannot join the run', { error: error instanceof TaskFailure ? `${error.error.code}: ${error.error.message}` : messageOf(error), retryInS: 10 });
    await sleep(10_000, undefined, { signal: options.signal }).catch(() => undefined);
    return;
  }
  state.runId = record.runId;
  publisher.push({ type: 'executor-started', executor, worker: options.name, host: hostname(), cores: config.cores });
  log.info('joined run', { source: record.source, target: record.target, cores: config.cores, executorMemoryMiB: bridge.heapMb });
  const leases = new NodeLeases(redis, record.runId, record.endpoints, { loadBalance: config.target.loadBalance, maxPerNode: config.target.maxConnectionsPerNode, leaseMs: config.workerLeaseMs });
  const run = { cancelled: false };

  const processor = async (job: Job<SplitJobData, SplitJobResult>): Promise<SplitJobResult> => {
    const { task } = job.data;
    if (run.cancelled) throw new UnrecoverableError(JSON.stringify(interruptedError()));
    const holder = `${options.name}#${job.id ?? task.id}`;
    let endpoint = await leases.acquire(holder);
    while (!endpoint) {
      if (run.cancelled) throw new UnrecoverableError(JSON.stringify(interruptedError()));
      await sleep(NODE_WAIT_MS);
      endpoint = await leases.acquire(holder);
    }
    const leased = endpoint;
    const renew = setInterval(() => void leases.renew(leased, holder).catch(() => undefined), Math.max(250, config.workerLeaseMs / 3));
    state.inFlight++;
    const attempt = job.attemptsMade + 1;
    try {
      await job.updateProgress({ worker: options.name, node: leased.key, startedAt: Date.now() } satisfies SplitJobProgress);
      const rows = await bridge.run(task, attempt, leased);
      state.splitsDone++;
      state.rows += rows;
      await publisher.flush();
      return { rows, worker: options.name };
    } catch (error) {
      const failure = error instanceof TaskFailure ? error.error : errorToJson(error);
      const maxAttempts = job.opts.attempts ?? 1;
      const willRetry = failure.retryable && attempt < maxAttempts && !run.cancelled;
      if (willRetry) {
        publisher.push({ type: 'split-retry', splitId: task.id, attempt: attempt + 1, delayMs: config.retryBackoffMs * 2 ** (attempt - 1), error: failure.message, node: leased.key });
      } else if (!(run.cancelled && failure.code === 'INTERRUPTED')) {
        publisher.push({ type: 'split-failed', splitId: task.id, error: failure.message, code: failure.code, node: leased.key });
      }
      await publisher.flush();
      // The job's failedReason carries the typed error, for the driver's report and `c2y status`.
      if (willRetry) throw new Error(JSON.stringify(failure));
      throw new UnrecoverableError(JSON.stringify(failure));
    } finally {
      state.inFlight--;
      clearInterval(renew);
      await leases.release(leased, holder).catch(() => undefined);
    }
  };

  const connection = redis.duplicate();
  const worker = new Worker<SplitJobData, SplitJobResult>(splitQueueName(record.runId), processor, {
    connection, concurrency: config.cores, name: options.name,
    lockDuration: config.workerLeaseMs, stalledInterval: config.workerLeaseMs,
    // A job whose worker died is handed to another this many times before it fails (and waits for --resume).
    maxStalledCount: Math.max(1, config.maxRetries), drainDelay: 1,
  });
  worker.on('error', (error) => log.warn('split queue', { error: messageOf(error) }));
  try {
    for (;;) {
      await sleep(WATCH_MS, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal.aborted) {
        log.info('stopping: finishing the splits in flight', { inFlight: state.inFlight });
        await worker.close();
        break;
      }
      const status = (await readRunRecord(redis, record.runId).catch(() => undefined))?.status;
      if (status === 'cancelling') {
        run.cancelled = true;
        log.warn('run cancelled by its driver; interrupting the splits in flight', { inFlight: state.inFlight });
        await bridge.stop();
        await worker.close();
        break;
      }
      if (status !== 'running') {
        await worker.close();
        break;
      }
    }
  } finally {
    connection.disconnect();
    await bridge.stop().catch(() => undefined);
    await publisher.flush();
    state.runId = null;
    log.info('left run', { splits: state.splitsDone, rows: state.rows });
  }
}
