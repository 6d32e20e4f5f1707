import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishLimits, readSharedLimits, redisKeys, RunSigner, takeFromBuckets } from '../../src/runner/index.js';
import type { RunLimits } from '../../src/task/stream-throttle.js';
import { startTestbedRedis, type TestbedRedis } from '../../src/testbed/index.js';

/** A distributed run's rate limits: token buckets in a real Redis, taken by streams of several "workers". */
let server: TestbedRedis;
let workers: Redis[];
const signer = RunSigner.fromKey('shared-limits-test-key-0123456789');
const NONE: RunLimits = { sourceRowsPerSecond: undefined, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined };

beforeAll(async () => {
  server = await startTestbedRedis();
  workers = [new Redis(server.url), new Redis(server.url)];
});
afterAll(async () => {
  for (const redis of workers ?? []) redis.disconnect();
  await server?.stop();
});

/** One stream: reads a page for `readMs`, takes it from the bucket and waits what it says, until `ms` have passed. */
async function stream(redis: Redis, runId: string, limits: RunLimits, page: number, readMs: number, ms: number): Promise<{ rows: number; end: number }> {
  let rows = 0;
  for (const end = Date.now() + ms; Date.now() < end;) {
    await sleep(readMs);
    rows += page;
    await sleep(await takeFromBuckets(redis, runId, { limits, streams: 4 }, { read: page, rows: page, bytes: page * 100 }));
  }
  return { rows, end: Date.now() };
}

describe('rate limits shared by every stream of a distributed run', () => {
  it('hold the run at its limit across workers, and a slow stream\'s unused share goes to the others', async () => {
    const limits = { ...NONE, targetRowsPerSecond: 2000 };
    // Two workers, two streams each. One stream is slow (its Cassandra is): 50 rows every 0.5 s = 100 rows/s, far
    // under its equal share (500 rows/s). Equal shares would cap the run at 1,600 rows/s; the bucket lets the
    // other three take what the slow one leaves.
    const started = Date.now();
    const streams = await Promise.all([
      stream(workers[0] as Redis, 'run-a', limits, 50, 500, 4000),
      stream(workers[0] as Redis, 'run-a', limits, 200, 5, 4000),
      stream(workers[1] as Redis, 'run-a', limits, 200, 5, 4000),
      stream(workers[1] as Redis, 'run-a', limits, 300, 5, 4000),
    ]);
    // Until every stream has waited off its last page: the bucket starts empty, so the run never goes over.
    const seconds = (Math.max(...streams.map((s) => s.end)) - started) / 1000;
    const rows = streams.map((s) => s.rows);
    const rate = rows.reduce((a, b) => a + b, 0) / seconds;
    console.log(`shared bucket: ${rows.join(' + ')} rows in ${seconds} s = ${Math.round(rate)} rows/s against a 2,000 rows/s limit`);
    expect(rate).toBeLessThanOrEqual(2000 * 1.03);
    expect(rate).toBeGreaterThan(1800);
  });

  it('keeps each measure apart, and the strictest decides', async () => {
    const limits = { ...NONE, sourceRowsPerSecond: 1_000_000, targetBytesPerSecond: 10_000 };
    const redis = workers[0] as Redis;
    expect(await takeFromBuckets(redis, 'run-b', { limits, streams: 1 }, { read: 10, rows: 10, bytes: 5000 })).toBeGreaterThan(400);
    expect(await redis.exists(redisKeys.bucketKey('run-b', 'bytes'), redisKeys.bucketKey('run-b', 'read'))).toBe(2);
    expect(await redis.exists(redisKeys.bucketKey('run-b', 'rows'))).toBe(0);
    expect(await takeFromBuckets(redis, 'run-b', { limits: NONE, streams: 1 }, { read: 10, rows: 10, bytes: 5000 })).toBe(0);
  });

  it('a bucket someone else wrote cannot stop a run: a wait is at most twice the stream\'s equal share, plus a second', async () => {
    const redis = workers[1] as Redis;
    await redis.hset(redisKeys.bucketKey('run-c', 'rows'), 'credit', '-1e15', 'at', '0', 'rate', '1000');
    const wait = await takeFromBuckets(redis, 'run-c', { limits: { ...NONE, targetRowsPerSecond: 1000 }, streams: 4 }, { read: 100, rows: 100, bytes: 0 });
    // Equal share: 250 rows/s, so 100 rows are 400 ms; capped at 2 × 400 + 1000.
    expect(wait).toBe(1800);
  });

  it('workers act only on limits their driver signed for this run, and only on rates', async () => {
    const redis = workers[0] as Redis;
    expect(await readSharedLimits(redis, 'run-d', signer)).toBe('missing');
    await publishLimits(redis, 'run-d', { limits: { ...NONE, targetRowsPerSecond: 500, maxStreams: 2 }, version: 7 }, signer);
    expect(await readSharedLimits(redis, 'run-d', signer)).toEqual({ limits: { ...NONE, targetRowsPerSecond: 500, maxStreams: 2 }, version: 7 });
    // Another key, the same body: refused. A body changed after signing: refused.
    expect(await readSharedLimits(redis, 'run-d', RunSigner.fromKey('another-key-0123456789abcdef'))).toBe('forged');
    const stored = JSON.parse((await redis.get(redisKeys.limitsKey('run-d'))) as string) as { body: string; mac: string };
    await redis.set(redisKeys.limitsKey('run-d'), JSON.stringify({ ...stored, body: stored.body.replace('500', '5') }));
    expect(await readSharedLimits(redis, 'run-d', signer)).toBe('forged');
    // Signed, but not a rate: refused.
    await publishLimits(redis, 'run-d', { limits: { ...NONE, targetRowsPerSecond: -1 }, version: 8 }, signer);
    expect(await readSharedLimits(redis, 'run-d', signer)).toBe('forged');
    // The same key under another run's name: refused (the run id is signed too).
    await publishLimits(redis, 'run-e', { limits: NONE, version: 9 }, signer);
    await redis.set(redisKeys.limitsKey('run-d'), (await redis.get(redisKeys.limitsKey('run-e'))) as string);
    expect(await readSharedLimits(redis, 'run-d', signer)).toBe('forged');
  });
});
