import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Worker } from 'bullmq';
import { bullmq, delayedError, unrecoverable } from './queue-modules.js';
import type { Redis } from 'ioredis';
import { DEFAULT_EXECUTOR_MEMORY, type C2yConfig } from '../config/index.js';
import { messageOf, retryDelayMs, runRetryPolicy } from '../errors/index.js';
import type { Logger, TaskErrorJson } from '../observe/index.js';
import { errorToJson, heapMbOf, type RunnerTask } from '../task/index.js';
import { configuredLimits } from '../task/index.js';
import { EventPublisher } from './event-stream.js';
import { ExecutorBridge, TaskFailure } from './executor-bridge.js';
import { SpareExecutor } from './spare-executor.js';
import { NodeLeases, watchLease } from './node-leases.js';
import { openRedis } from './redis-connection.js';
import { driverKey, RUNS_QUEUE, splitQueueName, WORKER_SEQUENCE_KEY, workerKey } from './redis-keys.js';
import { readRunRecord } from './run-record.js';
import { anotherRunWaiting, nextRun, type SelectionContext, type ServableRun } from './run-selection.js';
import type { RunSigner } from './run-signature.js';
import { WorkerLimits } from './shared-limits.js';
import { withWorkerTls, type WorkerPolicy } from './worker-policy.js';

/** What a split job carries: its run and the task (the same a local executor gets). */
export interface SplitJobData {
  readonly runId: string;
  readonly task: RunnerTask;
  /** HMAC of the task under C2Y_RUN_KEY: a job anyone else wrote is refused unrun. */
  readonly mac: string;
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
  /** Where this worker may connect and with which TLS: its own settings, never the run's. */
  readonly policy: WorkerPolicy;
  /** Checks what the driver signed (C2Y_RUN_KEY): run records and split jobs. */
  readonly signer: RunSigner;
  readonly logger: Logger;
  /** With several runs pending, how long this worker serves one before turning to the next (ms). */
  readonly runShareMs: number;
  /** Stop taking splits, finish those in flight, then return. */
  readonly signal: AbortSignal;
}

const HEARTBEAT_MS = 3000;
const HEARTBEAT_TTL_S = 10;
const WATCH_MS = 1000;
const NODE_WAIT_MS = 250;
/** How long a job of a run this worker must rejoin waits before it is offered again (the watch notices within 1 s). */
const REJOIN_DELAY_MS = 1000;

function interruptedError(): TaskErrorJson {
  return { code: 'INTERRUPTED', message: 'the run was cancelled; the split\'s open transaction was rolled back', retryable: false };
}

/**
 * `c2y worker`: serves the runs in Redis it may serve (signed, within its own settings, with a live driver), one at
 * a time, turning to the next with splits waiting after its share (round robin). Each split job runs on this
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
  const { Worker } = await bullmq();
  const runsConnection = redis.duplicate();
  const runsWorker = new Worker(RUNS_QUEUE, async () => ({ completedAt: Date.now(), by: options.name }), { connection: runsConnection, concurrency: 1 });
  runsWorker.on('error', (error) => log.warn('runs queue', { error: messageOf(error) }));
  const spare = new SpareExecutor(heapMbOf(options.executorMemory ?? DEFAULT_EXECUTOR_MEMORY));
  // "worker started" means ready to serve at once: the waiting executor has loaded its modules.
  await spare.prepare();
  const warmed = spare.warmed;
  log.info('worker started', { worker: options.name, executor: number, host: hostname(), cores: options.cores ?? 'per run', executorMemory: options.executorMemory ?? 'per run', warmUp: warmed === undefined ? 'no answer' : warmed.skipped ?? `${warmed.rows} rows in ${Math.round(warmed.cpuMs)} ms of CPU` });
  const selection: SelectionContext = { redis, name: options.name, signer: options.signer, policy: options.policy, addressMap: options.addressMap, logger: log, screened: new Map() };
  let lastServed: string | undefined;
  try {
    while (!options.signal.aborted) {
      const next = await nextRun(selection, lastServed);
      if (!next) {
        await sleep(WATCH_MS, undefined, { signal: options.signal }).catch(() => undefined);
        continue;
      }
      lastServed = next.record.runId;
      await serveRun(redis, next, number, state, { ...options, selection, spare });
      // Between runs, never inside one: under a CPU quota the fork would take the run's share.
      void spare.prepare();
    }
  } finally {
    spare.stop();
    clearInterval(heartbeat);
    await runsWorker.close().catch(() => undefined);
    // BullMQ leaves connections it was given open; they would keep the process alive.
    runsConnection.disconnect();
    await redis.del(workerKey(options.name)).catch(() => undefined);
    redis.disconnect();
    log.info('worker stopped', { worker: options.name, splits: state.splitsDone, rows: state.rows });
  }
}

/** A run's (or one of its tables') config as this worker runs it: its own secrets, address map, cores and memory. */
function workerConfig(config: C2yConfig, options: WorkerOptions): C2yConfig {
  return {
    ...config,
    cores: options.cores ?? config.cores,
    executorMemory: options.executorMemory ?? config.executorMemory,
    source: { ...config.source, password: options.secrets.source, addressMap: { ...options.addressMap } },
    target: { ...config.target, password: options.secrets.target, addressMap: { ...options.addressMap } },
  };
}

function leaseLostError(node: string): TaskErrorJson {
  return { code: 'NODE_LEASE_LOST', message: `the stream's lease on ${node} lapsed, so another stream may have taken its slot; the split was stopped (rolled back) to keep the per-node cap`, retryable: true };
}

/**
 * Why a worker should stop taking a running run's splits now: its driver went silent (an orphan), or the record
 * changed under it (a `--resume` re-planned it: rejoin with the new settings). Splits in flight finish either way.
 */
async function reasonToLeave(redis: Redis, joined: ServableRun, read: Awaited<ReturnType<typeof readRunRecord>> | undefined): Promise<string | undefined> {
  if (read?.kind === 'authentic' && read.mac !== joined.mac) return 'the run was started again (--resume): rejoining it with its new settings';
  const alive = await redis.exists(driverKey(joined.record.runId)).catch(() => 1);
  return alive === 1 ? undefined : 'leaving the run: its driver is silent (orphaned; `migrate --distributed --resume` adopts it)';
}

/** What one run's split jobs need while this worker serves it. */
interface ServingRun {
  readonly redis: Redis;
  readonly joined: ServableRun;
  readonly options: WorkerOptions;
  readonly log: Logger;
  readonly config: C2yConfig;
  readonly bridge: ExecutorBridge;
  readonly publisher: EventPublisher;
  readonly leases: NodeLeases;
  readonly run: { cancelled: boolean };
  readonly state: { runId: string | null; inFlight: number; splitsDone: number; rows: number };
  /** The wait each failed job's retry was announced with (split-retry's delayMs), for BullMQ's backoff to keep. */
  readonly retryDelays: Map<string, number>;
}

/**
 * Before a job runs: it must be signed for this run, the run not cancelled, and the run not started again since this
 * worker joined (a re-started run may have new settings: the job goes back to the queue and this worker rejoins).
 */
async function checkJob({ redis, joined, options, log, run }: ServingRun, job: Job<SplitJobData, SplitJobResult>, token: string | undefined): Promise<void> {
  const { record } = joined;
  if (job.data.runId !== record.runId || !options.signer.verify('split-job', record.runId, JSON.stringify(job.data.task), job.data.mac)) {
    log.error('refused split job: not signed with C2Y_RUN_KEY for this run', { jobId: job.id ?? '?' });
    throw unrecoverable(JSON.stringify({ code: 'RUN_JOB_FORGED', message: 'the split job is not signed with C2Y_RUN_KEY for this run; the worker did not run it', retryable: false } satisfies TaskErrorJson));
  }
  if (run.cancelled) throw unrecoverable(JSON.stringify(interruptedError()));
  const current = await readRunRecord(redis, record.runId, options.signer).catch(() => undefined);
  if (current?.kind === 'authentic' && current.mac !== joined.mac) {
    // Not the split's failure: it goes back to wait without spending an attempt (a worker that had not noticed the
    // resume yet once failed a resumed split's last attempts in a second, and the resume ended failed).
    log.info('a split of the run started again waits until this worker has rejoined it', { jobId: job.id ?? '?' });
    await job.moveToDelayed(Date.now() + REJOIN_DELAY_MS, token);
    throw delayedError();
  }
}

/** Runs one split job on this worker's executor, holding a node lease, and reports its end as a local run would. */
function takeRetryDelay(delays: Map<string, number>, jobId: string | undefined, otherwise: () => number): number {
  const announced = jobId === undefined ? undefined : delays.get(jobId);
  if (jobId !== undefined) delays.delete(jobId);
  return announced ?? otherwise();
}

function splitProcessor(serving: ServingRun): (job: Job<SplitJobData, SplitJobResult>, token?: string) => Promise<SplitJobResult> {
  const { options, log, config, bridge, publisher, leases, run, state, retryDelays } = serving;
  return async (job, token) => {
    const { task } = job.data;
    await checkJob(serving, job, token);
    const holder = `${options.name}#${job.id ?? task.id}`;
    let endpoint = await leases.acquire(holder);
    while (!endpoint) {
      if (run.cancelled) throw unrecoverable(JSON.stringify(interruptedError()));
      await sleep(NODE_WAIT_MS);
      endpoint = await leases.acquire(holder);
    }
    const leased = endpoint;
    const lease = watchLease(leases, leased, holder, config.workerLeaseMs, (why) => log.warn('stopping a stream: its node lease is lost', { split: task.id, node: leased.key, why }));
    state.inFlight++;
    const attempt = job.attemptsMade + 1;
    try {
      await job.updateProgress({ worker: options.name, node: leased.key, startedAt: Date.now() } satisfies SplitJobProgress);
      const rows = await bridge.run(task, attempt, leased, lease.lost);
      state.splitsDone++;
      state.rows += rows;
      await publisher.flush();
      return { rows, worker: options.name };
    } catch (error) {
      // A stream stopped for its lease is not the split's fault: another attempt takes a node from the checkpoint.
      const failure = lease.lost.aborted ? leaseLostError(leased.key) : error instanceof TaskFailure ? error.error : errorToJson(error);
      const maxAttempts = job.opts.attempts ?? 1;
      const willRetry = failure.retryable && attempt < maxAttempts && !run.cancelled;
      if (willRetry) {
        const delayMs = retryDelayMs(runRetryPolicy(config), attempt);
        if (job.id !== undefined) retryDelays.set(job.id, delayMs);
        publisher.push({ type: 'split-retry', splitId: task.id, attempt: attempt + 1, delayMs, error: failure.message, node: leased.key });
      } else if (!(run.cancelled && failure.code === 'INTERRUPTED')) {
        publisher.push({ type: 'split-failed', splitId: task.id, error: failure.message, code: failure.code, node: leased.key });
      }
      await publisher.flush();
      // The job's failedReason carries the typed error, for the driver's report and `c2y status`.
      if (willRetry) throw new Error(JSON.stringify(failure));
      throw unrecoverable(JSON.stringify(failure));
    } finally {
      state.inFlight--;
      lease.stop();
      await leases.release(leased, holder).catch(() => undefined);
    }
  };
}

/**
 * The BullMQ worker of a run's split queue on this machine, on a connection of its own (the caller disconnects it):
 * `cores` splits at once, the run's retry policy.
 */
async function splitQueueWorker(
  redis: Redis, runId: string, processor: ReturnType<typeof splitProcessor>, config: C2yConfig, name: string, retryDelays: Map<string, number>,
): Promise<{ worker: Worker<SplitJobData, SplitJobResult>; connection: Redis }> {
  const { Worker } = await bullmq();
  const connection = redis.duplicate();
  const worker = new Worker<SplitJobData, SplitJobResult>(splitQueueName(runId), processor, {
    connection, concurrency: config.cores, name,
    lockDuration: config.workerLeaseMs, stalledInterval: config.workerLeaseMs,
    // A job whose worker died is handed to another this many times before it fails (and waits for --resume).
    maxStalledCount: Math.max(1, config.maxRetries), drainDelay: 1,
    // The run's retry policy, with the very wait its split-retry event announced.
    settings: { backoffStrategy: (attemptsMade, _type, _error, job) => takeRetryDelay(retryDelays, job?.id, () => retryDelayMs(runRetryPolicy(config), attemptsMade)) },
  });
  return { worker, connection };
}

/** What watches a joined run: where to read its record and limits, and what to tell or stop. */
interface Supervised {
  readonly redis: Redis;
  readonly joined: ServableRun;
  readonly options: WorkerOptions & { readonly selection: SelectionContext };
  readonly log: Logger;
  readonly limits: WorkerLimits;
  readonly bridge: ExecutorBridge;
  readonly state: { readonly inFlight: number };
  readonly run: { cancelled: boolean };
  readonly joinedAt: number;
}

/**
 * Follows a joined run every WATCH_MS until this worker should leave it: Ctrl-C (splits in flight finish), a record
 * gone, forged or no longer running, a reason to leave, another run's turn, or a cancel (splits in flight interrupted).
 */
async function superviseRun(watched: Supervised): Promise<void> {
  const { redis, joined, options, log, limits, bridge, state, run } = watched;
  const { runId } = joined.record;
  for (;;) {
    await sleep(WATCH_MS, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) {
      log.info('stopping: finishing the splits in flight', { inFlight: state.inFlight });
      return;
    }
    if (await limits.refresh()) bridge.setLimits(limits.current.limits);
    const read = await readRunRecord(redis, runId, options.signer).catch(() => undefined);
    // A record that is gone or no longer authentic: stop taking its splits (those in flight finish).
    const status = read?.kind === 'authentic' ? read.record.status : read === undefined ? 'running' : 'gone';
    const leaving = status === 'running'
      ? (await reasonToLeave(redis, joined, read)) ?? (Date.now() - watched.joinedAt >= options.runShareMs && (await anotherRunWaiting(options.selection, runId)) ? 'turning to another run with splits waiting (round robin)' : undefined)
      : undefined;
    if (leaving) {
      log.warn(leaving, { inFlight: state.inFlight });
      return;
    }
    if (status === 'cancelling') {
      run.cancelled = true;
      log.warn('run cancelled by its driver; interrupting the splits in flight', { inFlight: state.inFlight });
      await bridge.stop();
      return;
    }
    if (status !== 'running') return;
  }
}

async function serveRun(redis: Redis, joined: ServableRun, executor: number, state: { runId: string | null; inFlight: number; splitsDone: number; rows: number }, options: WorkerOptions & { readonly selection: SelectionContext; readonly spare: SpareExecutor }): Promise<void> {
  const { record } = joined;
  const log = options.logger.child({ runId: record.runId });
  const config = withWorkerTls(workerConfig(record.config, options), options.policy);
  const tables = record.tables?.map((job) => ({ ...job, config: withWorkerTls(workerConfig(job.config, options), options.policy) }));
  const publisher = new EventPublisher(redis, record.runId);
  const streams = Math.max(1, Math.min(config.parallelism, record.splits));
  const limits = new WorkerLimits(redis, record.runId, options.signer, log, { limits: configuredLimits(config), version: 0 }, streams);
  const bridge = new ExecutorBridge({ executor, executorMemory: config.executorMemory, config, runId: record.runId, table: record.table, ...(tables ? { tables } : {}), streams, onEvent: (event) => publisher.push(event), pace: (page) => limits.take(page), spare: (heapMb) => options.spare.take(heapMb) });
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
  const joinedAt = Date.now();

  const retryDelays = new Map<string, number>();
  const processor = splitProcessor({ redis, joined, options, log, config, bridge, publisher, leases, run, state, retryDelays });

  const { worker, connection } = await splitQueueWorker(redis, record.runId, processor, config, options.name, retryDelays);
  worker.on('error', (error) => log.warn('split queue', { error: messageOf(error) }));
  try {
    await superviseRun({ redis, joined, options, log, limits, bridge, state, run, joinedAt });
    await worker.close();
  } finally {
    connection.disconnect();
    await bridge.stop().catch(() => undefined);
    await publisher.flush();
    state.runId = null;
    log.info('left run', { splits: state.splitsDone, rows: state.rows });
  }
}
