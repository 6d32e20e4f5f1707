import type { C2yConfig } from '../config/index.js';
import type { SourceTable } from '../schema/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { Redis } from 'ioredis';
import { RUNS_KEY, runKey } from './redis-keys.js';

export type DistributedRunStatus = 'running' | 'cancelling' | 'finished' | 'failed' | 'interrupted';

/** What a worker needs to join a run. Secrets are not in it: each worker brings its own (C2Y_*_PASSWORD). */
export interface RunRecord {
  readonly runId: string;
  readonly source: string;
  readonly target: string;
  readonly config: C2yConfig;
  readonly table: SourceTable;
  readonly copySql: string;
  readonly endpoints: readonly TargetEndpoint[];
  readonly splits: number;
  readonly startedAt: number;
  readonly driver: string;
  status: DistributedRunStatus;
}

/** The run's config as it may sit in Redis: no passwords, no Redis password, no address map of the driver's machine. */
export function shareableConfig(config: C2yConfig): C2yConfig {
  const { redis: _redis, ...rest } = config;
  return {
    ...rest,
    source: { ...config.source, password: undefined, addressMap: {} },
    target: { ...config.target, password: undefined, addressMap: {} },
  };
}

export async function saveRunRecord(redis: Redis, record: RunRecord): Promise<void> {
  await redis.multi().set(runKey(record.runId), JSON.stringify(record)).zadd(RUNS_KEY, record.startedAt, record.runId).exec();
}

export async function readRunRecord(redis: Redis, runId: string): Promise<RunRecord | undefined> {
  const text = await redis.get(runKey(runId));
  return text === null ? undefined : (JSON.parse(text) as RunRecord);
}

export async function setRunStatus(redis: Redis, runId: string, status: DistributedRunStatus): Promise<void> {
  const record = await readRunRecord(redis, runId);
  if (!record) return;
  record.status = status;
  await redis.set(runKey(runId), JSON.stringify(record));
}

/** The newest runs first. */
export async function listRunIds(redis: Redis, limit: number): Promise<string[]> {
  return redis.zrevrange(RUNS_KEY, 0, limit - 1);
}
