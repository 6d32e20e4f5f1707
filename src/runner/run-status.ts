import { visibleLine } from '../observe/index.js';
import { bullmq } from './queue-modules.js';
import type { Redis } from 'ioredis';
import { failureOf } from './distributed-runner.js';
import { openRedis } from './redis-connection.js';
import { driverKey, RUNS_QUEUE, splitQueueName, WORKER_KEY_PATTERN } from './redis-keys.js';
import { listRunIds, readRefusals, readRunRecord, readUncheckedRecord, type RunRecord, type RunRefusal } from './run-record.js';
import type { RunSigner } from './run-signature.js';
import type { SplitJobData, SplitJobProgress, SplitJobResult } from './split-worker.js';

export interface RunStatusEntry {
  readonly runId: string;
  readonly status: string;
  readonly source: string;
  readonly target: string;
  readonly startedAt: string;
  readonly splits: number;
  /** The run's parent job: waiting-children while splits are left, completed once all are. */
  readonly runJob: string;
  readonly splitStates: Readonly<Record<string, number>>;
  readonly active: ReadonlyArray<{ readonly splitId: number; readonly worker: string | null; readonly node: string | null }>;
  readonly failed: ReadonlyArray<{ readonly splitId: number; readonly code: string; readonly message: string; readonly hint?: string; readonly attempts: number }>;
  /** Rows of completed split jobs by the worker that completed them. */
  readonly rowsByWorker: Readonly<Record<string, number>>;
  /** Whether the record's signature was checked (C2Y_RUN_KEY set here) and held; null when it could not be checked. */
  readonly authentic: boolean | null;
  /** Workers that would not serve the run, and why. */
  readonly refusals: readonly RunRefusal[];
}

export interface WorkerStatusEntry {
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  readonly runId: string | null;
  readonly inFlight: number;
  readonly splitsDone: number;
  readonly rows: number;
  readonly lastSeen: string;
}

export interface DistributedStatus {
  readonly runs: readonly RunStatusEntry[];
  readonly workers: readonly WorkerStatusEntry[];
}

async function workerEntries(redis: Redis): Promise<WorkerStatusEntry[]> {
  const out: WorkerStatusEntry[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', WORKER_KEY_PATTERN, 'COUNT', 200);
    cursor = next;
    for (const key of keys) {
      const text = await redis.get(key);
      if (text === null) continue;
      out.push(workerBeat(key, text));
    }
  } while (cursor !== '0');
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A worker's heartbeat as status shows it. Redis is not trusted: a value that is not a heartbeat (not JSON, a field
 * of another type, a time that is no date) is listed under its key as unreadable, where its fields once crashed
 * status (a TypeError or RangeError, exit 70) for every run it would have shown.
 */
export function workerBeat(key: string, text: string): WorkerStatusEntry {
  let beat: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') beat = parsed as Record<string, unknown>;
  } catch {
    // left empty: shown as unreadable below
  }
  const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const { name, host, runId } = beat;
  const [pid, inFlight, splitsDone, rows, lastSeen] = [beat['pid'], beat['inFlight'], beat['splitsDone'], beat['rows'], beat['lastSeen']].map(count);
  const seen = lastSeen === undefined || Math.abs(lastSeen) > 8.64e15 ? undefined : new Date(lastSeen).toISOString();
  if (typeof name !== 'string' || typeof host !== 'string' || (runId !== null && typeof runId !== 'string') || pid === undefined
    || inFlight === undefined || splitsDone === undefined || rows === undefined || seen === undefined) {
    return { name: key, host: 'unreadable heartbeat', pid: 0, runId: null, inFlight: 0, splitsDone: 0, rows: 0, lastSeen: new Date(0).toISOString() };
  }
  return { name, host, pid, runId, inFlight, splitsDone, rows, lastSeen: seen };
}

/** Runs (newest first, or one), the state of each split job, and the live workers. */
/** The record as signed when the key is at hand; else what it claims, marked unchecked. A forged one is shown as such. */
async function recordFor(redis: Redis, runId: string, signer: RunSigner | undefined): Promise<{ record: RunRecord; authentic: boolean | null } | undefined> {
  if (!signer) {
    const record = await readUncheckedRecord(redis, runId);
    return record && { record, authentic: null };
  }
  const read = await readRunRecord(redis, runId, signer);
  if (read.kind === 'authentic') return { record: read.record, authentic: true };
  if (read.kind === 'missing') return undefined;
  const claimed = await readUncheckedRecord(redis, runId);
  return { record: { runId, source: claimed?.source ?? '?', target: claimed?.target ?? '?', startedAt: Number(claimed?.startedAt) || 0, splits: Number(claimed?.splits) || 0, status: claimed?.status ?? 'running' } as RunRecord, authentic: false };
}

export async function distributedStatus(redisUrl: string, options: { readonly runId?: string; readonly limit: number; readonly signer?: RunSigner }): Promise<DistributedStatus> {
  const redis = await openRedis(redisUrl, 'status');
  try {
    const runIds = options.runId ? [options.runId] : await listRunIds(redis, options.limit);
    const runs: RunStatusEntry[] = [];
    const { Queue } = await bullmq();
    const runsQueue = new Queue(RUNS_QUEUE, { connection: redis });
    for (const runId of runIds) {
      const found = await recordFor(redis, runId, options.signer);
      if (!found) continue;
      const { record, authentic } = found;
      const queue = new Queue<SplitJobData, SplitJobResult>(splitQueueName(runId), { connection: redis });
      try {
        const splitStates = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed');
        const active = (await queue.getJobs(['active'])).filter((job) => job !== undefined).map((job) => {
          const progress = (typeof job.progress === 'object' ? job.progress : {}) as Partial<SplitJobProgress>;
          return { splitId: job.data.task.id, worker: progress.worker ?? null, node: progress.node ?? null };
        }).sort((a, b) => a.splitId - b.splitId);
        const failed = (await queue.getJobs(['failed'])).filter((job) => job !== undefined).map((job) => {
          const error = failureOf(job.failedReason);
          return { splitId: job.data.task.id, code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), attempts: job.attemptsMade };
        }).sort((a, b) => a.splitId - b.splitId);
        const rowsByWorker: Record<string, number> = {};
        for (const job of await queue.getJobs(['completed'])) {
          if (!job?.returnvalue) continue;
          rowsByWorker[job.returnvalue.worker] = (rowsByWorker[job.returnvalue.worker] ?? 0) + job.returnvalue.rows;
        }
        const runJob = (await (await runsQueue.getJob(runId))?.getState()) ?? 'none';
        // A running run whose driver stopped beating: no worker serves it until `--resume` adopts it.
        const orphaned = record.status === 'running' && (await redis.exists(driverKey(runId))) === 0;
        runs.push({ runId, status: orphaned ? 'orphaned' : record.status, source: record.source, target: record.target, startedAt: new Date(record.startedAt).toISOString(), splits: record.splits, runJob, splitStates, active, failed, rowsByWorker, authentic, refusals: await readRefusals(redis, runId) });
      } finally {
        await queue.close();
      }
    }
    await runsQueue.close();
    return { runs, workers: await workerEntries(redis) };
  } finally {
    redis.disconnect();
  }
}

export function renderStatus(status: DistributedStatus): string {
  const lines: string[] = [];
  lines.push(status.runs.length === 0 ? 'runs: none in this Redis' : 'runs:');
  for (const run of status.runs) {
    const states = Object.entries(run.splitStates).filter(([, n]) => n > 0).map(([state, n]) => `${state} ${n}`).join(', ') || 'no jobs';
    lines.push(`  ${run.runId}  ${run.status.padEnd(11)} ${run.source} → ${run.target}  started ${run.startedAt}`);
    if (run.status === 'orphaned') lines.push('    its driver is silent: workers do not serve it; adopt it with c2y migrate … --distributed --resume ' + run.runId);
    if (run.authentic === false) lines.push('    NOT SIGNED with this C2Y_RUN_KEY: workers ignore this record (forged, or written with another key)');
    if (run.authentic === null) lines.push('    signature not checked (set C2Y_RUN_KEY to check it)');
    for (const r of run.refusals) lines.push(`    REFUSED  by worker ${r.worker}: ${r.reasons.join('; ')}`);
    lines.push(`    splits (${run.splits} enqueued by the last start): ${states}; run job ${run.runJob}`);
    for (const a of run.active) lines.push(`    running  split ${a.splitId} on ${a.worker ?? '?'} → ${a.node ?? '?'}`);
    for (const f of run.failed) lines.push(`    FAILED   split ${f.splitId} after ${f.attempts} attempt(s): ${f.code}: ${f.message}${f.hint ? `; ${f.hint}` : ''}`);
    const byWorker = Object.entries(run.rowsByWorker).map(([worker, rows]) => `${worker} ${rows.toLocaleString('en-US')}`).join(', ');
    if (byWorker) lines.push(`    rows by worker: ${byWorker}`);
  }
  lines.push(status.workers.length === 0 ? 'workers: none alive (start one: c2y worker --redis <url>)' : 'workers:');
  for (const w of status.workers) {
    lines.push(`  ${w.name.padEnd(24)} ${w.host} pid ${w.pid}  ${w.runId ? `run ${w.runId}, ${w.inFlight} split(s) in flight` : 'idle'}; ${w.splitsDone} splits, ${w.rows.toLocaleString('en-US')} rows so far`);
  }
  // Every line holds text from Redis (records, worker names, errors): whoever can write there reaches this terminal.
  return lines.map(visibleLine).join('\n');
}
