import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { startTestbedRedis } from '../../src/testbed/index.js';

// A keyspace like an application's: a big table, a wide partition, every kind of odd table, an index and a view.
let keyspace: string;
const EVENTS = 30_000;
const WIDE = 20_000;

interface TableJson { table: string; status: string; rows: number; rowsTotal: number; runId: string; resumed: boolean; indexes: { created: string[]; notCreated: Array<{ name: string }> } }
interface ReportJson { runId: string; status: string; resumed: boolean; rows: number; rowsTotal: number; tables: TableJson[]; skippedTables: Array<{ table: string; reason: string }> }

/**
 * Writes the rows, those of one partition (`partitionOf`, the first value unless told) together as unlogged batches
 * of up to 50: a statement each made this file's set-up about a minute of its run.
 */
async function insertAll(statement: string, rows: ReadonlyArray<readonly unknown[]>, partitionOf: (row: readonly unknown[]) => unknown = (row) => row[0]): Promise<void> {
  const byPartition = new Map<unknown, Array<readonly unknown[]>>();
  for (const row of rows) {
    const group = byPartition.get(partitionOf(row)) ?? [];
    if (group.length === 0) byPartition.set(partitionOf(row), group);
    group.push(row);
  }
  const batches = [...byPartition.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / 50) }, (_, n) => group.slice(n * 50, n * 50 + 50)));
  const client = await cassandraClient();
  const write = (batch: ReadonlyArray<readonly unknown[]>): Promise<unknown> => (batch.length === 1
    ? client.execute(statement, [...(batch[0] as readonly unknown[])], { prepare: true })
    : client.batch(batch.map((row) => ({ query: statement, params: [...row] })), { prepare: true, logged: false }));
  for (let i = 0; i < batches.length; i += 64) await Promise.all(batches.slice(i, i + 64).map(write));
  await client.shutdown();
}

beforeAll(async () => {
  keyspace = uniqueName('ksm');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  for (const statement of [
    `CREATE TYPE ${keyspace}.address (street text, zip int)`,
    `CREATE TABLE ${keyspace}.events (id int, at int, kind text, PRIMARY KEY (id, at))`,
    `CREATE TABLE ${keyspace}.wide (p int, c int, v text, PRIMARY KEY (p, c))`,
    `CREATE TABLE ${keyspace}.types_zoo (id int PRIMARY KEY, home frozen<address>, tags set<text>, scores map<text, int>, at timestamp, amount decimal, ip inet)`,
    `CREATE TABLE ${keyspace}.hits (page text PRIMARY KEY, n counter)`,
    `CREATE TABLE ${keyspace}.keys_only (a int, b int, PRIMARY KEY (a, b))`,
    `CREATE TABLE ${keyspace}.empty_one (id int PRIMARY KEY, v text)`,
    `CREATE TABLE ${keyspace}."MixedCase" ("Key" int PRIMARY KEY, "Value" text)`,
    `CREATE INDEX events_kind ON ${keyspace}.events (kind)`,
    `CREATE MATERIALIZED VIEW ${keyspace}.events_by_kind AS SELECT * FROM ${keyspace}.events WHERE kind IS NOT NULL AND id IS NOT NULL AND at IS NOT NULL PRIMARY KEY (kind, id, at)`,
  ]) await client.execute(statement);
  await client.shutdown();
  await insertAll(`INSERT INTO ${keyspace}.events (id, at, kind) VALUES (?, ?, ?)`, Array.from({ length: EVENTS }, (_, i) => [i % 3000, i, `kind ${i % 7}`]));
  await insertAll(`INSERT INTO ${keyspace}.wide (p, c, v) VALUES (1, ?, ?)`, Array.from({ length: WIDE }, (_, i) => [i, `v${i}`]), () => 1);
  await insertAll(`INSERT INTO ${keyspace}.types_zoo (id, home, tags, scores, at, amount, ip) VALUES (?, {street: 'Main', zip: ?}, {'a', 'b'}, ?, '2026-01-02T03:04:05Z', 12.345, '10.0.0.1')`, Array.from({ length: 200 }, (_, i) => [i, i, { x: i }]));
  await insertAll(`UPDATE ${keyspace}.hits SET n = n + 5 WHERE page = ?`, Array.from({ length: 40 }, (_, i) => [`p${i}`]));
  await insertAll(`INSERT INTO ${keyspace}.keys_only (a, b) VALUES (?, ?)`, Array.from({ length: 100 }, (_, i) => [i % 10, i]));
  await insertAll(`INSERT INTO ${keyspace}."MixedCase" ("Key", "Value") VALUES (?, 'v')`, Array.from({ length: 30 }, (_, i) => [i]));
}, 300_000);

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.close();
});

async function target(): Promise<TestDatabase> {
  const db = await createTestDatabase('ksm');
  databases.push(db);
  return db;
}

const args = (db: TestDatabase, ...more: string[]): string[] => [
  '--contact-points', RING.join(','), '--keyspace', keyspace, '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', `/tmp/${keyspace}`, ...more,
];
const ALL = ['MixedCase', 'empty_one', 'events', 'hits', 'keys_only', 'types_zoo', 'wide'];

async function expectExact(db: TestDatabase): Promise<void> {
  const validate = await runC2y(['validate', ...args(db), '--json']);
  expect(validate.code, validate.stderr.slice(-2000)).toBe(0);
  const summary = JSON.parse(validate.stdout) as { tables: Array<{ table: string; summary: { sourceRows: number; targetRows: number; differences: number } | null }> };
  expect(summary.tables.map((t) => t.table)).toEqual(ALL);
  for (const table of summary.tables) expect(table.summary?.differences, table.table).toBe(0);
  expect(summary.tables.find((t) => t.table === 'events')?.summary?.targetRows).toBe(EVENTS);
  expect(summary.tables.find((t) => t.table === 'wide')?.summary?.targetRows).toBe(WIDE);
}

describe('c2y migrate --keyspace: every table in one run', () => {
  it('moves every table in one run, largest first, makes the index after the rows, skips the view; validate finds every table exact', async () => {
    const db = await target();
    const run = await runC2y(['migrate', ...args(db), '--json']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(run.stdout) as ReportJson;
    expect(report.status).toBe('finished');
    expect(report.tables.map((t) => t.table).slice(0, 2)).toEqual(['events', 'wide']);
    expect([...report.tables.map((t) => t.table)].sort()).toEqual([...ALL].sort());
    expect(report.tables.every((t) => t.status === 'finished' && t.runId.startsWith(`${report.runId}-t`))).toBe(true);
    expect(report.rowsTotal).toBe(EVENTS + WIDE + 200 + 40 + 100 + 30);
    expect(report.skippedTables).toEqual([expect.objectContaining({ table: 'events_by_kind' })]);
    expect(report.tables.find((t) => t.table === 'events')?.indexes.created).toEqual(['events_kind']);
    const indexes = await db.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'events' AND indexname = 'events_kind'`);
    expect(indexes.rows).toHaveLength(1);
    // One run id for the keyspace: c2y status lists it beside each table's own run.
    const runs = await db.query<{ run_id: string; source: string; status: string }>(`SELECT run_id, source, status FROM c2y.runs WHERE run_id = $1`, [report.runId]);
    expect(runs.rows).toEqual([{ run_id: report.runId, source: `${keyspace}.*`, status: 'finished' }]);
    // c2y status --keyspace lists it with its tables' splits and rows summed.
    const status = await runC2y(['status', '--keyspace', keyspace, '--target-hosts', db.hosts.join(','), '--database', db.database, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const listed = (JSON.parse(status.stdout) as { runs: Array<{ runId: string; status: string; splits: number; splitsDone: number; rowsCommitted: number }> }).runs;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ runId: report.runId, status: 'finished', rowsCommitted: report.rowsTotal });
    expect(listed[0]?.splitsDone).toBe(listed[0]?.splits);
    expect(listed[0]?.splits).toBeGreaterThanOrEqual(ALL.length);
    await expectExact(db);

    // Run again: every table holds rows, so a new run is refused, naming all of them at once, and nothing moves.
    const again = await runC2y(['migrate', ...args(db)]);
    expect(again.code).toBe(2);
    // empty_one is empty, so a second run may fill it; the six others are named.
    expect(again.stderr).toContain('6 table(s)');
    expect(again.stderr).toContain('already holds rows');
  }, 300_000);

  it('kill -9 mid-run, then --resume: the same run ends finished and every table is exact', async () => {
    const db = await target();
    const slow = ['--set', 'target.rowsPerSecond=6000', '--set', 'parallelism=4', '--ui-port', '4641'];
    const first = spawnC2y(['migrate', ...args(db, ...slow)]);
    await until('some rows committed', async () => {
      const done = await db.query<{ n: number }>(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM c2y.checkpoints`);
      return (done.rows[0]?.n ?? 0) > 10_000;
    }, 120_000);
    // While it runs: the dashboard's state has the tables (its Tables tab), /metrics a series per table.
    const state = await (await fetch('http://127.0.0.1:4641/api/state')).json() as { runId: string; tables: Array<{ table: string; rows: number; state: string }> };
    expect(state.tables.map((t) => t.table).sort()).toEqual([...ALL].sort());
    expect(state.tables.some((t) => t.rows > 0 && t.state !== 'pending')).toBe(true);
    // The Target nodes tab counts the run's connections, named by each table's own run.
    await until('the dashboard to count the run\'s connections on a node', async () => {
      const nodes = (await (await fetch('http://127.0.0.1:4641/api/state')).json() as { nodes: Array<{ serverConnections: number | null }> }).nodes;
      return nodes.some((node) => (node.serverConnections ?? 0) > 0);
    }, 5_000);
    const metrics = await (await fetch('http://127.0.0.1:4641/metrics')).text();
    expect(metrics).toMatch(new RegExp(`c2y_table_rows_written_total\\{run="${state.runId}",table="${keyspace}\\.events"\\} \\d+`));
    expect(metrics).toContain(`c2y_table_splits{run="${state.runId}",table="${keyspace}.MixedCase",state="pending"}`);
    killGroup(first.child);
    await first.result;
    const ids = await db.query<{ run_id: string }>(`SELECT run_id FROM c2y.runs WHERE source = $1`, [`${keyspace}.*`]);
    expect(ids.rows).toHaveLength(1);

    // Without --resume the unfinished run is named, with what to do.
    const refused = await runC2y(['migrate', ...args(db)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('add --resume');
    // Resuming with other tables is refused: the run's tables are fixed when it starts.
    const otherTables = await runC2y(['migrate', ...args(db, '--exclude-tables', 'hits', '--resume')]);
    expect(otherTables.code).toBe(2);
    expect(otherTables.stderr).toContain('hits (in the run, not chosen now)');

    // Resumed slowly, then tuned through the keyspace run's id (a table's own run id is refused, naming it).
    const runId = ids.rows[0]?.run_id ?? '';
    const resuming = spawnC2y(['migrate', ...args(db, '--set', 'target.rowsPerSecond=2000'), '--resume', '--json']);
    const targetFlags = ['--target-hosts', db.hosts.join(','), '--database', db.database];
    await until('the resumed run to be running', async () => (await db.query<{ status: string }>('SELECT status FROM c2y.runs WHERE run_id = $1', [runId])).rows[0]?.status === 'running' && resuming.stderrSoFar().includes('"msg":"resuming keyspace run"'), 60_000);
    const tableRun = await runC2y(['tune', `${runId}-t000`, ...targetFlags, '--set', 'target.rowsPerSecond=off']);
    expect(tableRun.code).toBe(2);
    expect(tableRun.stderr).toContain(`is one table of keyspace run ${runId}`);
    const tuned = await runC2y(['tune', runId, ...targetFlags, '--set', 'target.rowsPerSecond=off', '--wait-seconds', '30']);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(tuned.stdout).toContain('applied by its driver');
    const resumed = await resuming.result;
    expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(resumed.stdout) as ReportJson;
    expect(report.runId).toBe(runId);
    expect(report.resumed).toBe(true);
    expect(report.rowsTotal).toBe(EVENTS + WIDE + 200 + 40 + 100 + 30);
    expect(report.rows).toBeLessThan(report.rowsTotal);
    await expectExact(db);
  }, 300_000);

  it('a table that cannot start refuses the run before any row moves, listing each; --skip-unsupported moves the others and exits 1', async () => {
    const db = await target();
    // A target table of another shape: refused by the preparation, like --table would refuse it.
    await db.query('CREATE TABLE public.keys_only (a text PRIMARY KEY)');
    await db.query('CREATE TABLE public.hits (page int PRIMARY KEY)');
    const refused = await runC2y(['migrate', ...args(db)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('2 table(s)');
    expect(refused.stderr).toMatch(/keys_only \(TARGET_TABLE_MISMATCH/);
    expect(refused.stderr).toMatch(/hits \(TARGET_TABLE_MISMATCH/);
    const anyRows = await db.query(`SELECT 1 FROM c2y.runs LIMIT 1`).catch(() => ({ rows: [] }));
    expect(anyRows.rows).toHaveLength(0);
    const events = await db.query(`SELECT to_regclass('public.events') IS NOT NULL AND EXISTS (SELECT 1 FROM public.events) AS has`).catch(() => ({ rows: [{ has: false }] }));
    expect((events.rows[0] as { has: boolean | null }).has ?? false).toBe(false);

    const skipping = await runC2y(['migrate', ...args(db), '--skip-unsupported', '--json']);
    expect(skipping.code, skipping.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(skipping.stdout) as ReportJson;
    expect(report.status).toBe('finished');
    expect(report.skippedTables.map((t) => t.table).sort()).toEqual(['events_by_kind', 'hits', 'keys_only']);
    expect(report.tables.map((t) => t.table).sort()).toEqual(['MixedCase', 'empty_one', 'events', 'types_zoo', 'wide']);
  }, 300_000);

  it('--distributed: two workers run the splits of every table; kill -9 of the driver, then --resume: exact', async () => {
    const redis = await startTestbedRedis();
    const db = await target();
    const env = { C2Y_RUN_KEY: 'keyspace-migrate-test-run-key-0123456789' };
    const allow = ['--allow-source', RING.map((host) => `${host}:9042`).join(','), '--allow-target', db.hosts.join(',')];
    const workers = [1, 2].map((n) => spawnC2y(['worker', '--redis', redis.url, ...allow, '--cores', '2', '--name', `ks-worker-${n}`, '--json'], env));
    try {
      const distributed = ['--distributed', '--redis', redis.url, '--ui-port', '0'];
      const first = spawnC2y(['migrate', ...args(db, ...distributed, '--set', 'target.rowsPerSecond=6000')], env);
      await until('some rows committed', async () => {
        const done = await db.query<{ n: number }>(`SELECT coalesce(sum(rows_done), 0)::int AS n FROM c2y.checkpoints`);
        return (done.rows[0]?.n ?? 0) > 10_000;
      }, 120_000);
      killGroup(first.child);
      await first.result;

      const resumed = await runC2y(['migrate', ...args(db, ...distributed), '--resume', '--json'], env);
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
      const report = JSON.parse(resumed.stdout) as ReportJson;
      expect(report.status).toBe('finished');
      expect(report.rowsTotal).toBe(EVENTS + WIDE + 200 + 40 + 100 + 30);
      expect(report.tables.every((t) => t.status === 'finished')).toBe(true);
      await expectExact(db);
      // Both workers served the keyspace run's tables (their logs name the run they joined).
      for (const worker of workers) expect(worker.stderrSoFar() + worker.stdoutSoFar()).toContain('joined run');
    } finally {
      for (const worker of workers) killGroup(worker.child);
      await redis.stop();
    }
  }, 300_000);
});
