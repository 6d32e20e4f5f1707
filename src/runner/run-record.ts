import type { C2yConfig } from '../config/index.js';
import type { SourceTable } from '../schema/index.js';
import type { TableJob } from '../task/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { Redis } from 'ioredis';
import { refusalsKey, RUNS_KEY, runKey } from './redis-keys.js';
import type { RunSigner } from './run-signature.js';

export type DistributedRunStatus = 'running' | 'cancelling' | 'finished' | 'failed' | 'interrupted';

/**
 * What a worker needs to join a run. Secrets are not in it (each worker brings its own, C2Y_*_PASSWORD), nor any SQL
 * text: the worker's executor builds its statements from the table and its own config.
 */
export interface RunRecord {
  readonly runId: string;
  readonly source: string;
  readonly target: string;
  readonly config: C2yConfig;
  readonly table: SourceTable;
  /** A keyspace run's other tables (each config shareable, as `config`); their split jobs name them by run id. */
  readonly tables?: readonly TableJob[];
  readonly endpoints: readonly TargetEndpoint[];
  readonly splits: number;
  readonly startedAt: number;
  readonly driver: string;
  status: DistributedRunStatus;
}

/** A run record as read from Redis: only `authentic` may be acted on. */
export type RecordRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'forged'; readonly reason: string }
  | { readonly kind: 'authentic'; readonly record: RunRecord; readonly mac: string };

/** What sits under the run's key: the record's JSON exactly as signed, and its MAC. */
interface SignedEnvelope {
  readonly body: string;
  readonly mac: string;
}

/**
 * The run's config as it may sit in Redis: no passwords, no Redis password, no dashboard token, no address map of
 * the driver's machine.
 */
export function shareableConfig(config: C2yConfig): C2yConfig {
  const { redis: _redis, uiToken: _uiToken, ...rest } = config;
  return {
    ...rest,
    source: { ...config.source, password: undefined, addressMap: {} },
    target: { ...config.target, password: undefined, addressMap: {} },
  };
}

function envelopeOf(record: RunRecord, signer: RunSigner): string {
  const body = JSON.stringify(record);
  return JSON.stringify({ body, mac: signer.sign('run-record', record.runId, body) } satisfies SignedEnvelope);
}

export async function saveRunRecord(redis: Redis, record: RunRecord, signer: RunSigner): Promise<void> {
  await redis.multi().set(runKey(record.runId), envelopeOf(record, signer)).zadd(RUNS_KEY, record.startedAt, record.runId).exec();
}

/** Parses and checks a stored record: the MAC over the exact body, and that the body is the run it is filed under. */
export function openEnvelope(text: string, runId: string, signer: RunSigner): RecordRead {
  let envelope: Partial<SignedEnvelope>;
  try {
    envelope = JSON.parse(text) as Partial<SignedEnvelope>;
  } catch {
    return { kind: 'forged', reason: 'the record is not JSON' };
  }
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.body !== 'string') return { kind: 'forged', reason: 'the record is not signed' };
  if (!signer.verify('run-record', runId, envelope.body, envelope.mac)) return { kind: 'forged', reason: 'the record\'s signature does not match C2Y_RUN_KEY' };
  const record = JSON.parse(envelope.body) as RunRecord;
  if (record.runId !== runId) return { kind: 'forged', reason: `the record names run ${String(record.runId)}` };
  return { kind: 'authentic', record, mac: envelope.mac as string };
}

export async function readRunRecord(redis: Redis, runId: string, signer: RunSigner): Promise<RecordRead> {
  const text = await redis.get(runKey(runId));
  return text === null ? { kind: 'missing' } : openEnvelope(text, runId, signer);
}

/** For `c2y status` without the key: what the record claims, unchecked. */
export async function readUncheckedRecord(redis: Redis, runId: string): Promise<RunRecord | undefined> {
  const text = await redis.get(runKey(runId));
  if (text === null) return undefined;
  try {
    const envelope = JSON.parse(text) as Partial<SignedEnvelope>;
    return typeof envelope.body === 'string' ? (JSON.parse(envelope.body) as RunRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Only the driver (which holds the key) changes a run's status; the record is signed again. */
export async function setRunStatus(redis: Redis, runId: string, status: DistributedRunStatus, signer: RunSigner): Promise<void> {
  const read = await readRunRecord(redis, runId, signer);
  if (read.kind !== 'authentic') return;
  await redis.set(runKey(runId), envelopeOf({ ...read.record, status }, signer));
}

/** The newest runs first. */
export async function listRunIds(redis: Redis, limit: number): Promise<string[]> {
  return redis.zrevrange(RUNS_KEY, 0, limit - 1);
}

/** Why a worker would not serve a run, for `c2y status` (the worker's log says it too). */
export interface RunRefusal {
  readonly worker: string;
  readonly reasons: readonly string[];
  readonly at: number;
}

export async function recordRefusal(redis: Redis, runId: string, refusal: RunRefusal): Promise<void> {
  await redis.multi().hset(refusalsKey(runId), refusal.worker, JSON.stringify(refusal)).expire(refusalsKey(runId), 30 * 24 * 3600).exec();
}

export async function readRefusals(redis: Redis, runId: string): Promise<RunRefusal[]> {
  const entries = await redis.hgetall(refusalsKey(runId));
  const out: RunRefusal[] = [];
  for (const text of Object.values(entries)) {
    try {
      const parsed = JSON.parse(text) as Partial<RunRefusal>;
      if (typeof parsed.worker === 'string' && Array.isArray(parsed.reasons)) out.push({ worker: parsed.worker, reasons: parsed.reasons.map(String), at: Number(parsed.at) || 0 });
    } catch {
      // not ours: skip
    }
  }
  return out.sort((a, b) => a.worker.localeCompare(b.worker));
}
