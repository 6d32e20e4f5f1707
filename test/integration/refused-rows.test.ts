import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { runC2y, spawnC2y } from '../helpers/run-cli.js';
import { until } from '../helpers/wait.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/** 10^140000 fits a Cassandra varint; PostgreSQL numeric holds at most 131,072 digits before the point. */
const HUGE = 10n ** 140000n;

interface Reject { key: Record<string, string>; column: string; reason: string; raw: string; kind: string }

let keyspace: string;
let db: TestDatabase;
let runDir: string;

beforeAll(async () => {
  keyspace = uniqueName('refused');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.shutdown();
  db = await createTestDatabase('refused');
  runDir = mkdtempSync(join(tmpdir(), 'refused-runs-'));
});
afterAll(async () => db?.close());

const args = (table: string, target: string, extra: string[]): string[] => [
  'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', table, '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', target, '--run-dir', runDir, '--split-size-mb', '0.01', ...extra,
];
const rejectsOf = (report: RunReport): Reject[] =>
  readFileSync(join(runDir, report.runId, 'rejects.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Reject);
const ids = async (target: string): Promise<number[]> => (await db.query<{ id: number }>(`SELECT id FROM public.${target} ORDER BY id`)).rows.map((row) => row.id);

describe('rows of 256 KiB and more', () => {
  const BAD = [3, 11];
  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.big (part int, id int, body text, v varint, PRIMARY KEY ((part), id))`);
    for (let id = 0; id < 16; id++) {
      await client.execute(`INSERT INTO ${keyspace}.big (part, id, body, v) VALUES (?, ?, ?, ?)`, [id % 4, id, 'x'.repeat(300 * 1024), BAD.includes(id) ? HUGE : BigInt(id)], { prepare: true });
    }
    await client.shutdown();
  });

  it('a row PostgreSQL refuses is rejected and the split goes on (the executor does not crash ending a failed COPY)', async () => {
    // One row a page and a commit a row: PostgreSQL's refusal arrives while the next page is read, before the COPY ends.
    const run = await runC2y(args('big', 'big_rejected', ['--set', 'onError=reject', '--parallelism', '2', '--copy-flush-every', '1', '--copy-buffer-size', '2', '--json']));
    expect(run.stderr).not.toMatch(/EXECUTOR_CRASHED|executor exited|unexpected/);
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: 14, rejects: 2, retries: 0 });
    expect(await ids('big_rejected')).toEqual([...Array(16).keys()].filter((id) => !BAD.includes(id)));
    expect(rejectsOf(report).map((r) => Number(r.key['id'])).sort((a, b) => a - b)).toEqual(BAD);
  });
});

describe('partitions that hold only static cells', () => {
  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.statics (part int, id int, owner text STATIC, note text, PRIMARY KEY ((part), id))`);
    for (let part = 0; part < 30; part++) {
      await client.execute(`INSERT INTO ${keyspace}.statics (part, owner) VALUES (?, ?)`, [part, `owner ${part}`], { prepare: true });
      // Every third partition has static cells only.
      if (part % 3 !== 0) for (let id = 0; id < 5; id++) await client.execute(`INSERT INTO ${keyspace}.statics (part, id, note) VALUES (?, ?, ?)`, [part, id, `n${id}`], { prepare: true });
    }
    await client.shutdown();
  });

  it('with the default onError: stop, every other row arrives and each static-only partition is recorded with its key and static cells', async () => {
    const run = await runC2y(args('statics', 'statics', ['--parallelism', '3', '--copy-flush-every', '7', '--json']));
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: 20 * 5, rejects: 0, staticOnlyPartitions: 10, targetRowsCounted: 100 });
    const rows = await db.query<{ part: number; owner: string; n: number }>('SELECT part, owner, count(*)::int AS n FROM public.statics GROUP BY part, owner ORDER BY part');
    expect(rows.rows).toEqual([...Array(30).keys()].filter((part) => part % 3 !== 0).map((part) => ({ part, owner: `owner ${part}`, n: 5 })));
    const recorded = rejectsOf(report).sort((a, b) => Number(a.key['part']) - Number(b.key['part']));
    expect(recorded.map((r) => Number(r.key['part']))).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    for (const reject of recorded) {
      expect(reject).toMatchObject({ kind: 'static-only', column: 'id' });
      expect(JSON.parse(reject.raw)).toEqual({ owner: JSON.stringify(`owner ${reject.key['part']}`) });
      expect(reject.reason).toMatch(/only static cells/);
    }
  });
});

describe('constraint violations (SQLSTATE class 23) are the row\'s, not the connection\'s', () => {
  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.scores (part int, id int, score int, PRIMARY KEY ((part), id))`);
    for (let id = 0; id < 60; id++) await client.execute(`INSERT INTO ${keyspace}.scores (part, id, score) VALUES (?, ?, ?)`, [id % 5, id, id === 17 || id === 42 ? -1 : id], { prepare: true });
    await client.shutdown();
    for (const table of ['scores_rejected', 'scores_stopped']) {
      await db.query(`CREATE TABLE public.${table} (part integer, id integer, score integer CHECK (score >= 0), PRIMARY KEY (part, id))`);
    }
  });

  it('with onError: reject, the violating rows are rejected with the constraint named; no retry', async () => {
    const run = await runC2y(args('scores', 'scores_rejected', ['--set', 'onError=reject', '--set', 'target.createTable=false', '--parallelism', '2', '--json']));
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: 58, rejects: 2, retries: 0 });
    const rejects = rejectsOf(report);
    expect(rejects.map((r) => Number(r.key['id'])).sort((a, b) => a - b)).toEqual([17, 42]);
    for (const reject of rejects) expect(reject.reason).toMatch(/check constraint "scores_rejected_score_check"/);
  });

  it('with onError: stop, the run stops at once naming the row, without retrying a refusal that cannot change', async () => {
    const run = await runC2y(args('scores', 'scores_stopped', ['--set', 'target.createTable=false', '--parallelism', '1']));
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/VALUE_UNREPRESENTABLE: row \(part=\d, id=(17|42)\), column "\(constraint scores_stopped_score_check\)": PostgreSQL refused it/);
    expect(run.stderr).not.toContain('split retry');
  });
});

describe('a refused row is found again by its key, not its position', () => {
  const BAD_ID = 5500;
  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.written (part int, id int, v varint, PRIMARY KEY ((part), id))`);
    const inserts: Array<Promise<unknown>> = [];
    for (let id = 1000; id < 6000; id++) {
      inserts.push(client.execute(`INSERT INTO ${keyspace}.written (part, id, v) VALUES (0, ?, ?)`, [id, id === BAD_ID ? HUGE : BigInt(id)], { prepare: true }));
      if (inserts.length >= 64) await Promise.all(inserts.splice(0));
    }
    await Promise.all(inserts);
    await client.shutdown();
  });

  it('rows inserted ahead of it between the scans do not make c2y reject a valid row', async () => {
    // The application keeps writing rows that sort before the refused one while the run rescans its transaction.
    const writer = await cassandraClient();
    let writing = true;
    const written: number[] = [];
    const { result } = spawnC2y(args('written', 'written', ['--set', 'onError=reject', '--parallelism', '1', '--copy-flush-every', '100000', '--set', 'source.fetchSize=100', '--json']));
    const writes = (async () => {
      // From the moment the split's COPY connection opens, so the writes land between its scans.
      await until('the split to start', async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'c2y % split %' AND datname = $1`, [db.database])).rows.length > 0, 60_000);
      for (let id = 999; id >= 0 && writing; id--) {
        await writer.execute(`INSERT INTO ${keyspace}.written (part, id, v) VALUES (0, ?, ?)`, [id, BigInt(id)], { prepare: true });
        written.push(id);
      }
    })();
    const run = await result;
    writing = false;
    await writes;
    await writer.shutdown();
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(written.length, 'the writer must have written during the run').toBeGreaterThan(0);
    expect(rejectsOf(report).map((r) => Number(r.key['id']))).toEqual([BAD_ID]);
    const present = new Set(await ids('written'));
    for (let id = 1000; id < 6000; id++) if (id !== BAD_ID) expect(present.has(id), `row ${id}`).toBe(true);
    expect(present.has(BAD_ID)).toBe(false);
  });
});
