import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

/** One partition of a million rows (the size), plus small partitions on both sides of it. */
const HUGE_ROWS = 1_000_000;
const SMALL_PARTITIONS = 20;
const SMALL_ROWS = 50;
const FLUSH_EVERY = 5000;
const TOTAL = HUGE_ROWS + SMALL_PARTITIONS * SMALL_ROWS;

let keyspace: string;
let db: TestDatabase;
let runDir: string;

/** c2 sorts DESC inside c1 ASC: "after this row" is a different comparison per column. */
const c2Of = (n: number): string => `k${(n % 7).toString().padStart(2, '0')}`;

beforeAll(async () => {
  keyspace = uniqueName('huge');
  const client = await cassandraClient();
  // RF 1: a million rows written once, not three times, on this shared machine.
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
  await client.execute(`CREATE TABLE ${keyspace}.wide (part int, c1 int, c2 text, owner text STATIC, v bigint, PRIMARY KEY ((part), c1, c2)) WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC)`);
  const insert = `INSERT INTO ${keyspace}.wide (part, c1, c2, v) VALUES (?, ?, ?, ?)`;
  const batches: Array<Promise<unknown>> = [];
  for (let start = 0; start < HUGE_ROWS; start += 250) {
    const queries = [];
    for (let n = start; n < Math.min(HUGE_ROWS, start + 250); n++) queries.push({ query: insert, params: [0, Math.floor(n / 7), c2Of(n), BigInt(n)] });
    batches.push(client.batch(queries, { prepare: true, logged: false }));
    if (batches.length >= 16) await Promise.all(batches.splice(0));
  }
  for (let part = 1; part <= SMALL_PARTITIONS; part++) {
    for (let n = 0; n < SMALL_ROWS; n++) batches.push(client.execute(insert, [part, n, c2Of(n), BigInt(part * 1_000_000 + n)], { prepare: true }));
    await Promise.all(batches.splice(0));
  }
  await client.execute(`UPDATE ${keyspace}.wide SET owner = 'the big one' WHERE part = 0`);
  await Promise.all(batches);
  await client.shutdown();
  db = await createTestDatabase('huge');
  // No primary key: a row written twice shows up as a duplicate instead of a COPY error.
  await db.query('CREATE TABLE public.wide (part integer, c1 integer, c2 text, owner text, v bigint)');
  runDir = mkdtempSync(join(tmpdir(), 'huge-runs-'));
}, 600_000);
afterAll(async () => db?.close());

const args = (extra: string[]): string[] => [
  'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'wide', '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', 'wide', '--run-dir', runDir, '--set', 'target.createTable=false',
  '--copy-flush-every', String(FLUSH_EVERY), '--parallelism', '4', '--set', 'source.consistency=ONE', ...extra,
];
const count = async (): Promise<number> => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.wide')).rows[0]?.n ?? 0;

describe('a partition larger than copyFlushEvery', () => {
  it('commits inside the partition; kill -9 half way and --resume: exact, and at most copyFlushEvery × streams rows written twice', async () => {
    const { child, result } = spawnC2y(args([]));
    await until('40% of the rows committed', async () => (await count()) >= 0.4 * TOTAL, 300_000);
    killGroup(child);
    await result;
    const atKill = await count();
    expect(atKill).toBeLessThan(TOTAL);
    const inside = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM c2y.checkpoints WHERE last_position IS NOT NULL');
    expect(inside.rows[0]?.n, 'a checkpoint inside the huge partition').toBeGreaterThan(0);

    const resumed = await runC2y(args(['--resume', '--json']));
    expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(resumed.stdout) as { rowsTotal: number; targetRowsCounted: number };
    expect(report).toMatchObject({ rowsTotal: TOTAL, targetRowsCounted: TOTAL });

    const shape = await db.query<{ total: number; distinct_keys: number; huge: number; owners: number; vsum: string }>(
      `SELECT count(*)::int AS total, count(DISTINCT (part, c1, c2))::int AS distinct_keys, count(*) FILTER (WHERE part = 0)::int AS huge,
              count(*) FILTER (WHERE part = 0 AND owner = 'the big one')::int AS owners, sum(v)::text AS vsum FROM public.wide`,
    );
    const expectedSum = (BigInt(HUGE_ROWS) * BigInt(HUGE_ROWS - 1)) / 2n
      + [...Array(SMALL_PARTITIONS).keys()].reduce((sum, p) => sum + BigInt(SMALL_ROWS) * BigInt((p + 1) * 1_000_000) + BigInt((SMALL_ROWS * (SMALL_ROWS - 1)) / 2), 0n);
    expect(shape.rows[0]).toEqual({ total: TOTAL, distinct_keys: TOTAL, huge: HUGE_ROWS, owners: HUGE_ROWS, vsum: expectedSum.toString() });

    // Every insert PostgreSQL saw, rolled back ones included, against what stayed: the re-done work after the kill.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stats = await db.query<{ inserted: string }>(`SELECT n_tup_ins::text AS inserted FROM pg_stat_user_tables WHERE relname = 'wide'`);
    const writtenTwice = Number(stats.rows[0]?.inserted ?? 0) - TOTAL;
    console.log(`huge partition: ${atKill} rows committed at the kill; ${writtenTwice} rows written twice (rolled back); bound ${FLUSH_EVERY * 4}`);
    expect(writtenTwice).toBeLessThanOrEqual(FLUSH_EVERY * 4);
  }, 900_000);
});
