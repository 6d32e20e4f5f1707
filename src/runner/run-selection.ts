import { bullmq } from './queue-modules.js';
import type { Redis } from 'ioredis';
import type { Logger } from '../observe/index.js';
import { driverKey, splitQueueName } from './redis-keys.js';
import { listRunIds, readRunRecord, recordRefusal, type RunRecord } from './run-record.js';
import type { RunSigner } from './run-signature.js';
import { refusalsOf, type WorkerPolicy } from './worker-policy.js';

/** A run a worker may serve, with the MAC of the record it joined (a new MAC means the run was started again). */
export interface ServableRun {
  readonly record: RunRecord;
  readonly mac: string;
}

export interface SelectionContext {
  readonly redis: Redis;
  readonly name: string;
  readonly signer: RunSigner;
  readonly policy: WorkerPolicy;
  readonly addressMap: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** Run id → what was last said about it, so each refusal or orphan is logged once, not every second. */
  readonly screened: Map<string, string>;
}

/**
 * The running runs this worker may serve, oldest first. A record that is not signed with the run key, or that names a
 * host or TLS mode outside this worker's own settings, is skipped before anything connects (said once in the log,
 * recorded for `c2y status`); so is a run whose driver is silent (an orphan, until `--resume` adopts it).
 */
export async function servableRuns(context: SelectionContext): Promise<ServableRun[]> {
  const { redis, screened, logger } = context;
  const out: ServableRun[] = [];
  for (const runId of (await listRunIds(redis, 50)).reverse()) {
    const read = await readRunRecord(redis, runId, context.signer);
    if (read.kind === 'missing' || (read.kind === 'authentic' && read.record.status !== 'running')) continue;
    const reasons = read.kind === 'forged' ? [`${read.reason}: not acted on`] : refusalsOf(read.record, context.policy, context.addressMap);
    if (read.kind === 'authentic' && reasons.length === 0) {
      if ((await redis.exists(driverKey(runId))) === 1) {
        out.push({ record: read.record, mac: read.mac });
      } else {
        if (screened.get(runId) !== 'orphaned') logger.warn('skipping an orphaned run: its driver is silent', { runId, driver: read.record.driver, adopt: 'c2y migrate … --distributed --resume' });
        screened.set(runId, 'orphaned');
      }
      continue;
    }
    const seenAs = `${read.kind === 'authentic' ? read.mac : 'forged'}:${reasons.join('|')}`;
    if (screened.get(runId) === seenAs) continue;
    screened.set(runId, seenAs);
    logger.error('refused run', { runId, reasons: reasons.join('; ') });
    await recordRefusal(redis, runId, { worker: context.name, reasons, at: Date.now() }).catch(() => undefined);
  }
  return out;
}

/** Split jobs of a run no worker has taken yet. */
export async function waitingSplits(redis: Redis, runId: string): Promise<number> {
  const { Queue } = await bullmq();
  const queue = new Queue(splitQueueName(runId), { connection: redis });
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
    return (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0);
  } finally {
    await queue.close();
  }
}

/**
 * Round robin over runs: the first servable run after the one served last (in start order) that has splits waiting;
 * when none has, the first after it at all (its splits may come back from a dead worker).
 */
export async function nextRun(context: SelectionContext, lastServed: string | undefined): Promise<ServableRun | undefined> {
  const runs = await servableRuns(context);
  const after = runs.findIndex((run) => run.record.runId === lastServed);
  const ordered = [...runs.slice(after + 1), ...runs.slice(0, after + 1)];
  for (const run of ordered) if ((await waitingSplits(context.redis, run.record.runId)) > 0) return run;
  return ordered[0];
}

/** Whether a run other than `runId` has splits waiting: then a worker that has had its share turns to it. */
export async function anotherRunWaiting(context: SelectionContext, runId: string): Promise<boolean> {
  for (const run of await servableRuns(context)) {
    if (run.record.runId !== runId && (await waitingSplits(context.redis, run.record.runId)) > 0) return true;
  }
  return false;
}
