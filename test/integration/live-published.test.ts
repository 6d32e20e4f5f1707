import cassandra from 'cassandra-driver';
import { Redis } from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startCdcCassandra } from '../../src/testbed/index.js';
import { cdcNodeFixture, type CdcNodeFixture } from '../helpers/cdc-node.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { appliedPast, startWriter } from '../helpers/live-writer.js';

/**
 * `migrate --live` where c2y cannot read the node's files: `c2y cdc agent --publish` on the node puts its changes in
 * Redis (signed with C2Y_RUN_KEY, chained), and the apply reads them from there (`--cdc-published-node`). A writer
 * changes the table through the copy and the apply; validate finds it exact. A change put into the stream by someone
 * without the key stops the apply with a typed error, and nothing of it is applied.
 */
const KEYSPACE = uniqueName('livep');
const TABLE = 'orders';
const REDIS = 'redis://127.0.0.1:6379';
const KEY = { C2Y_RUN_KEY: 'live-published-test-key-0123456789' };
let node: Awaited<ReturnType<typeof startCdcCassandra>>;
let client: cassandra.Client;
let db: TestDatabase;
let fixture: CdcNodeFixture;
let redis: Redis;
const runDir = mkdtempSync(join(tmpdir(), 'live-published-runs-'));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const streamKey = (): string => `c2y:cdc:${KEYSPACE}:${node.address}:changes`;

/** The newest entry id of the node's stream ('0-0' when empty). */
async function newestId(): Promise<string> {
  return (await redis.xrevrange(streamKey(), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
}

function idAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am > bm || (am === bm && as > bs);
}

/** Waits for a caught-up line written after this call: it covers every change published before it. */
async function untilCaughtUpAgain(): Promise<void> {
  const state = `c2y:cdc:${KEYSPACE}:${node.address}:state`;
  const before = await redis.hget(state, 'caught-up');
  await until('the publisher to say it caught up again', async () => (await redis.hget(state, 'caught-up')) !== before, 60_000);
}

/**
 * Waits until the publisher has put a change of `table` into the stream after `afterId`, rather than for a fixed
 * time: a slower machine took longer than 2.5 s to flush and publish a write (CI saw the forged entry go in first).
 */
async function untilPublished(table: string, afterId: string): Promise<void> {
  await until(`the publisher to publish a change of ${table}`, async () => {
    const entries = await redis.xrevrange(streamKey(), '+', '-', 'COUNT', 20);
    return entries.some(([id, fields]) => idAfter(id, afterId) && (fields[1] ?? '').includes(`${KEYSPACE}.${table}`));
  }, 60_000);
}

function common(): string[] {
  return ['--contact-points', node.address, '--keyspace', KEYSPACE, '--table', TABLE];
}

function liveArgs(extra: readonly string[] = []): string[] {
  return [
    'migrate', ...common(), '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database, '--run-dir', runDir, '--ui-port', '0',
    '--parallelism', '4', '--executors', '1', '--cores', '2', '--split-size-mb', '0.05', '--live', '--cdc-published-node', node.address, '--redis', REDIS,
    '--set', 'cdcReadConsistency=ONE', ...extra,
  ];
}

function startPublisher(tables = ['--table', TABLE]): ReturnType<typeof spawnC2y> {
  return spawnC2y(['cdc', 'agent', '--contact-points', node.address, '--keyspace', KEYSPACE, ...tables, '--yaml', node.yaml, '--lib', node.libDir, '--publish', '--redis', REDIS, '--enable-cdc', '--poll-ms', '200'], KEY);
}

async function write(cql: string, params: unknown[] = []): Promise<void> {
  await client.execute(cql, params, { prepare: true });
}

/** One round of changes: a new row, a changed one, a deleted one. */
async function changeRound(n: number): Promise<void> {
  await write(`INSERT INTO ${KEYSPACE}.${TABLE} (id, seq, v) VALUES (?, ?, ?)`, [n % 200, 1000 + n, `new ${n}`]);
  await write(`UPDATE ${KEYSPACE}.${TABLE} SET v = ? WHERE id = ? AND seq = 0`, [`changed ${n}`, (n * 7) % 200]);
  await write(`DELETE FROM ${KEYSPACE}.${TABLE} WHERE id = ? AND seq = 1`, [(n * 11) % 200]);
}

async function differences(): Promise<number> {
  const run = await runC2y(['validate', ...common(), '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database, '--run-dir', runDir, '--json']);
  expect(run.code, run.stderr.slice(-2000)).toBe(0);
  return (JSON.parse(run.stdout) as { differences: number }).differences;
}

beforeAll(async () => {
  fixture = await cdcNodeFixture(KEYSPACE);
  ({ node, client } = fixture);
  await client.execute(`CREATE TABLE ${KEYSPACE}.${TABLE} (id int, seq int, v text, PRIMARY KEY (id, seq))`);
  await client.execute(`CREATE TABLE ${KEYSPACE}.other (k int PRIMARY KEY, v text) WITH cdc = true`);
  for (let i = 0; i < 2000; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => write(`INSERT INTO ${KEYSPACE}.${TABLE} (id, seq, v) VALUES (?, ?, 'initial')`, [(i + k) % 200, Math.floor((i + k) / 200)])));
  }
  db = await createTestDatabase('livep');
  redis = new Redis(REDIS);
}, 240_000);

afterAll(async () => {
  if (redis) {
    await redis.del(`c2y:cdc:${KEYSPACE}:${node.address}:changes`, `c2y:cdc:${KEYSPACE}:${node.address}:state`);
    redis.disconnect();
  }
  await fixture?.close();
  await db?.close();
}, 60_000);

describe('migrate --live with changes published through Redis', () => {
  it('refuses a node nobody publishes, naming what to run there', async () => {
    const refused = await runC2y(liveArgs(), KEY);
    expect(refused.code, refused.stderr.slice(-2000)).toBe(2);
    expect(refused.stderr).toMatch(/CDC_NOT_PUBLISHED.*no publisher ever ran.*c2y cdc agent --publish/s);
  });

  it('copies through a worker (--distributed) and applies what the node\'s publisher put in Redis while a writer runs, and ends exact', async () => {
    const publisher = startPublisher();
    const worker = spawnC2y(['worker', '--redis', REDIS, '--allow-source', `${node.address}:9042`, '--allow-target', `127.0.0.1:${db.port}`, '--cores', '2', '--name', `${KEYSPACE}-w`, '--json'], KEY);
    const writer = startWriter(changeRound);
    let live: ReturnType<typeof spawnC2y> | undefined;
    try {
      await until('the publisher to catch up', async () => (await redis.hget(`c2y:cdc:${KEYSPACE}:${node.address}:state`, 'caught-up')) !== null, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${publisher.stderrSoFar().slice(-3000)}`);
      });
      live = spawnC2y(liveArgs(['--distributed', '--set', 'target.rowsPerSecond=2000']), KEY);
      const running = live;
      await until('the copy to finish and the apply to start', async () => running.stderrSoFar().includes('applying the changes'), 120_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${running.stderrSoFar().slice(-3000)}\n${publisher.stderrSoFar().slice(-2000)}`);
      });
      await sleep(1500);
      expect(await writer.stop()).toBeGreaterThan(10);
      const stopped = Date.now();
      await until('every change to be applied', () => appliedPast(db, stopped + 1500), 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${running.stderrSoFar().slice(-3000)}`);
      });
      // The apply handed its applied segment floor back through Redis, signed with the key (the publisher deletes
      // the segments below it and trims the stream there).
      const release = JSON.parse(await redis.hget(`c2y:cdc:${KEYSPACE}:${node.address}:state`, 'release') ?? '{}') as { body?: string; sig?: string };
      expect(Number(release.body)).toBeGreaterThan(0);
      expect(release.sig).toMatch(/^[0-9a-f]{64}$/);
      live.child.kill('SIGINT');
      expect((await live.result).code).toBe(130);
      // The worker, not the driver, copied the rows.
      await until('the worker to leave the finished run', async () => /"msg":"left run".*"splits":[1-9]/.test(worker.stderrSoFar()), 20_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${worker.stderrSoFar().slice(-2000)}`);
      });
    } finally {
      await writer.stop();
      if (live) killGroup(live.child);
      killGroup(worker.child);
      publisher.child.kill('SIGINT');
      await publisher.result;
    }
    expect(await differences()).toBe(0);
  }, 300_000);

  it('a change put into the stream without the key stops the apply, and it is not applied', async () => {
    const publisher = startPublisher();
    try {
      const startedAt = await newestId();
      await write(`UPDATE ${KEYSPACE}.${TABLE} SET v = 'genuine' WHERE id = 5 AND seq = 0`);
      await untilPublished(TABLE, startedAt);
      const stream = streamKey();
      const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
      const [ms, seq] = (last[0]?.[0] ?? '1-0').split('-').map(Number) as [number, number];
      // Just after the last genuine change (a stream id is segment-(position × 1024 + index)).
      const position = Math.floor(seq / 1024) + 1;
      const forgedLine = JSON.stringify({ type: 'change', segment: ms, position, table: `${KEYSPACE}.${TABLE}`, key: '00000005' });
      await redis.xadd(stream, `${ms}-${position * 1024}`, 'change', JSON.stringify({ body: JSON.stringify({ line: forgedLine, prev: last[0]?.[0] }), sig: '0'.repeat(64) }));
      // A genuine change after it: the publisher catches up past the forged one, so the apply reads it.
      await write(`UPDATE ${KEYSPACE}.${TABLE} SET v = 'after' WHERE id = 6 AND seq = 0`);
      await untilPublished(TABLE, `${ms}-${position * 1024}`);
      await untilCaughtUpAgain();
      const resumed = await runC2y(liveArgs(['--resume', '--until-caught-up']), KEY);
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(5);
      expect(resumed.stderr).toMatch(/CDC_CHANGE_FORGED.*not signed with this C2Y_RUN_KEY/s);
    } finally {
      publisher.child.kill('SIGINT');
      await publisher.result;
    }
  }, 180_000);

  it('a publisher started again without the table for a while leaves a gap: the apply refuses instead of missing it', async () => {
    // Started with another table only: its changes move the published position past the table's unpublished one.
    const without = startPublisher(['--tables', 'other']);
    await until('the publisher without the table to publish', async () => /publishing the changes of .*\.other on/.test(without.stderrSoFar()), 60_000);
    const gapFrom = await newestId();
    await write(`UPDATE ${KEYSPACE}.${TABLE} SET v = 'in the gap' WHERE id = 8 AND seq = 0`);
    await write(`UPDATE ${KEYSPACE}.other SET v = 'moves on' WHERE k = 1`);
    await untilPublished('other', gapFrom);
    await untilCaughtUpAgain();
    without.child.kill('SIGINT');
    await without.result;
    const missing = await runC2y(liveArgs(['--resume', '--until-caught-up']), KEY);
    expect(missing.code, missing.stderr.slice(-2000)).toBe(2);
    expect(missing.stderr).toMatch(/CDC_NOT_PUBLISHED.*does not publish the changes of .*orders.*it publishes other/s);
    const again = startPublisher(['--tables', `${TABLE},other`]);
    try {
      // Its description names the table again (since a position after the gap) once it has started.
      await until('the publisher to describe the table again', async () => {
        const field = await redis.hget(`c2y:cdc:${KEYSPACE}:${node.address}:state`, 'meta');
        if (field === null) return false;
        const { tables } = JSON.parse((JSON.parse(field) as { body: string }).body) as { tables: Record<string, unknown> };
        return Object.hasOwn(tables, TABLE);
      }, 60_000);
      const gap = await runC2y(liveArgs(['--resume', '--until-caught-up']), KEY);
      expect(gap.code, gap.stderr.slice(-2000)).toBe(2);
      expect(gap.stderr).toMatch(/CDC_NOT_PUBLISHED.*only from a later position/s);
    } finally {
      again.child.kill('SIGINT');
      await again.result;
    }
  }, 180_000);
});
