import type { Redis } from 'ioredis';
import { messageOf } from '../errors/index.js';
import type { Logger } from '../observe/index.js';
import { describeLimits } from './live-limits.js';
import type { PageAmounts, RunLimits } from '../task/index.js';
import { bucketKey, limitsKey } from './redis-keys.js';
import type { RunSigner } from './run-signature.js';

/**
 * The limits a distributed run's driver publishes: its config's, then each `c2y tune`. `version` only grows, so a
 * stale value written back (by anyone who can write to Redis) is ignored rather than obeyed.
 */
export interface SharedLimits {
  readonly limits: RunLimits;
  readonly version: number;
}

interface SignedLimits {
  readonly body: string;
  readonly mac: string;
}

export async function publishLimits(redis: Redis, runId: string, shared: SharedLimits, signer: RunSigner): Promise<void> {
  const body = JSON.stringify(shared);
  await redis.set(limitsKey(runId), JSON.stringify({ body, mac: signer.sign('run-limits', runId, body) } satisfies SignedLimits));
}

const isRate = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value) && value > 0);

/** The driver's latest limits, or why there are none to act on (missing, or not signed with C2Y_RUN_KEY). */
export async function readSharedLimits(redis: Redis, runId: string, signer: RunSigner): Promise<SharedLimits | 'missing' | 'forged'> {
  const raw = await redis.get(limitsKey(runId));
  if (raw === null) return 'missing';
  try {
    const { body, mac } = JSON.parse(raw) as Partial<SignedLimits>;
    if (typeof body !== 'string' || !signer.verify('run-limits', runId, body, mac)) return 'forged';
    const shared = JSON.parse(body) as SharedLimits;
    const { limits } = shared;
    const rates = [limits.sourceRowsPerSecond, limits.targetRowsPerSecond, limits.targetBytesPerSecond, limits.maxStreams];
    if (!Number.isInteger(shared.version) || !rates.every(isRate)) return 'forged';
    return shared;
  } catch {
    return 'forged';
  }
}

/**
 * Token buckets in Redis, one per limited measure, each holding the run's credit: every stream of every worker takes
 * its page from the same bucket, so a slow stream's unused share goes to the others and the run as a whole keeps its
 * limit. Credit accrues at the rate in force since the last take (one second's worth at most) and a page may take it
 * below zero: the debt, over the rate, is the taker's wait. Time is Redis's own (TIME), so workers' clocks may differ.
 */
const TAKE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local amount = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'credit', 'at', 'rate')
  local credit = tonumber(state[1]) or 0
  local at = tonumber(state[2]) or now
  local was = tonumber(state[3]) or rate
  credit = math.min(credit + was * math.max(0, now - at) / 1000, rate) - amount
  redis.call('HSET', key, 'credit', tostring(credit), 'at', tostring(now), 'rate', tostring(rate))
  redis.call('PEXPIRE', key, 600000)
  if credit < 0 then wait = math.max(wait, math.ceil(-credit / rate * 1000)) end
end
return wait
`;

const MEASURES: ReadonlyArray<readonly [keyof PageAmounts, keyof RunLimits]> = [['read', 'sourceRowsPerSecond'], ['rows', 'targetRowsPerSecond'], ['bytes', 'targetBytesPerSecond']];

/**
 * Takes a page's amounts from the run's buckets; resolves to how long (ms) the stream must wait before its next page.
 * The wait is capped at twice what the stream's equal share would ask (plus a second): when every one of the run's
 * `streams` takes a page at once the last waits exactly that share, so a larger debt is a bucket someone else wrote,
 * and a lie in Redis can slow a run down at most twofold, never stop it.
 */
export async function takeFromBuckets(redis: Redis, runId: string, shares: { readonly limits: RunLimits; readonly streams: number }, page: PageAmounts): Promise<number> {
  const { limits } = shares;
  const keys: string[] = [];
  const args: number[] = [];
  for (const [measure, key] of MEASURES) {
    const rate = limits[key] ?? 0;
    if (rate <= 0) continue;
    keys.push(bucketKey(runId, measure));
    args.push(rate, page[measure]);
  }
  if (keys.length === 0) return 0;
  const wait = Number(await redis.eval(TAKE, keys.length, ...keys, ...args));
  return Number.isFinite(wait) && wait > 0 ? Math.min(wait, 2 * shareWaitMs(limits, shares.streams, page) + 1000) : 0;
}

/** Without Redis (it failed a take): the stream waits as its equal share of each limit would have it. */
export function shareWaitMs(limits: RunLimits, streams: number, page: PageAmounts): number {
  return Math.max(0, ...MEASURES.map(([measure, key]) => {
    const rate = limits[key] ?? 0;
    return rate > 0 ? (page[measure] / (rate / Math.max(1, streams))) * 1000 : 0;
  }));
}

/**
 * The run's limits as this worker follows them: the run's config, then whatever its driver publishes (signed, newer
 * than the last); each page of its streams is taken from the run's buckets in Redis under them.
 */
export class WorkerLimits {
  private warned = new Set<string>();

  constructor(private readonly redis: Redis, private readonly runId: string, private readonly signer: RunSigner, private readonly log: Logger, public current: SharedLimits, private readonly streams: number) {}

  /** Reads the driver's latest limits; true when they changed. */
  async refresh(): Promise<boolean> {
    const read = await readSharedLimits(this.redis, this.runId, this.signer).catch(() => 'missing' as const);
    if (read === 'forged') this.warnOnce('forged', 'ignoring rate limits in Redis not signed with C2Y_RUN_KEY for this run; keeping the last signed ones');
    if (typeof read === 'string' || read.version <= this.current.version) return false;
    this.log.info('rate limits changed by the run\'s driver', { version: read.version, limits: describeLimits(read.limits) });
    this.current = read;
    return true;
  }

  /** A page's wait from the run's buckets; if Redis fails, the stream's equal share of each limit decides it. */
  async take(page: PageAmounts): Promise<number> {
    const shares = { limits: this.current.limits, streams: this.streams };
    try {
      return await takeFromBuckets(this.redis, this.runId, shares, page);
    } catch (error) {
      this.warnOnce('take', 'the run\'s rate buckets in Redis cannot be read; pacing each stream at its equal share', { error: messageOf(error) });
      return shareWaitMs(shares.limits, shares.streams, page);
    }
  }

  private warnOnce(kind: string, message: string, fields: Readonly<Record<string, string>> = {}): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.log.warn(message, fields);
  }
}
