import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/**
 * COPY binary against target tables c2y did not create: auto takes binary where the bytes and meaning are the same
 * (varchar for text, timestamp for timestamptz) and text otherwise, saying why; an explicit binary that cannot be
 * honoured is refused before any row moves. A row PostgreSQL refuses inside a binary COPY is isolated as in text.
 */
let keyspace: string;
let db: TestDatabase;
let runDir: string;
const ROWS = 60;
const LONG = [7, 33];

beforeAll(async () => {
  keyspace = uniqueName('copyfmt');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}.fmt (id int PRIMARY KEY, name text, n int, at timestamp, tags list<text>)`);
  for (let id = 0; id < ROWS; id++) {
    await client.execute(`INSERT INTO ${keyspace}.fmt (id, name, n, at, tags) VALUES (?, ?, ?, ?, ?)`,
      [id, LONG.includes(id) ? `name-${id}-too-long` : `n${id}`, id * 7, new Date(Date.UTC(2025, 0, 1) + id * 1000), id % 3 === 0 ? null : ['a', `t${id}`]], { prepare: true });
  }
  await client.shutdown();
  db = await createTestDatabase('copyfmt');
  runDir = mkdtempSync(join(tmpdir(), 'copyfmt-runs-'));
  // Same binary form and meaning as what c2y creates: varchar(12) for text (its length checked by PostgreSQL),
  // timestamp for timestamptz.
  for (const table of ['fmt_varchar_bin', 'fmt_varchar_text']) {
    await db.query(`CREATE TABLE public.${table} (id integer PRIMARY KEY, name varchar(12), n integer, at timestamp, tags text[])`);
  }
  // n as bigint: COPY binary would send 4 bytes where bigint takes 8; varchar[]: an array's bytes name their element
  // type, and c2y's say text.
  await db.query('CREATE TABLE public.fmt_bigint (id integer PRIMARY KEY, name text, n bigint, at timestamptz, tags varchar[])');
}, 120_000);
afterAll(async () => db?.close());

const args = (target: string, extra: readonly string[]): string[] => [
  'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'fmt', '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', target, '--run-dir', runDir, '--split-size-mb', '0.01', '--parallelism', '3', ...extra,
];
const rejectedIds = (report: RunReport): number[] =>
  readFileSync(join(runDir, report.runId, 'rejects.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((line) => Number((JSON.parse(line) as { key: Record<string, string> }).key['id'])).sort((a, b) => a - b);
const rowsOf = async (table: string): Promise<string[]> => (await db.query<{ row: string }>(`SELECT (t.*)::text AS row FROM public.${table} t ORDER BY id`)).rows.map((r) => r.row);

describe('COPY format chosen from the target\'s column types', () => {
  it('auto writes binary into varchar/timestamp columns; a value too long for varchar(12) is rejected as in text', async () => {
    const binary = await runC2y([...args('fmt_varchar_bin', ['--set', 'onError=reject']), '--json']);
    const text = await runC2y([...args('fmt_varchar_text', ['--set', 'onError=reject', '--set', 'target.copyFormat=text']), '--json']);
    for (const run of [binary, text]) expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const binaryReport = JSON.parse(binary.stdout) as RunReport;
    const textReport = JSON.parse(text.stdout) as RunReport;
    expect(binaryReport.copyFormat).toEqual({ format: 'binary', reason: 'every target column takes COPY binary (target.copyFormat: auto)' });
    expect(textReport.copyFormat.format).toBe('text');
    for (const report of [binaryReport, textReport]) {
      expect(report).toMatchObject({ status: 'finished', rows: ROWS - LONG.length, rejects: LONG.length });
      expect(rejectedIds(report)).toEqual(LONG);
    }
    expect(await rowsOf('fmt_varchar_bin')).toEqual(await rowsOf('fmt_varchar_text'));
    expect((await rowsOf('fmt_varchar_bin')).length).toBe(ROWS - LONG.length);
  }, 180_000);

  it('auto stays on text for a column of another type, naming it; binary is refused before any row moves', async () => {
    const refused = await runC2y(args('fmt_bigint', ['--set', 'target.copyFormat=binary']));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('TARGET_TABLE_MISMATCH');
    expect(refused.stderr).toContain('"n" is bigint, binary writes integer');
    expect(refused.stderr).toContain('"tags" is character varying[], binary writes text[]');
    expect(await rowsOf('fmt_bigint')).toEqual([]);

    const auto = await runC2y([...args('fmt_bigint', []), '--json']);
    expect(auto.code, auto.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(auto.stdout) as RunReport;
    expect(report.copyFormat.format).toBe('text');
    expect(report.copyFormat.reason).toContain('"n" is bigint, binary writes integer');
    expect(report.rows).toBe(ROWS);
    const sum = await db.query<{ s: string }>('SELECT sum(n)::text AS s FROM public.fmt_bigint');
    expect(sum.rows[0]?.s).toBe(String(7 * (ROWS * (ROWS - 1)) / 2));
  }, 180_000);
});
