import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

const ROWS = 400;
/** Rows the target cannot hold: a NUL in text, and a date after PostgreSQL's last (5874897-12-31). */
const BAD = new Map<number, { column: string; reason: RegExp }>([
  [17, { column: 'note', reason: /U\+0000/ }],
  [230, { column: 'day', reason: /date range/ }],
  [391, { column: 'note', reason: /U\+0000/ }],
]);

let keyspace: string;
let db: TestDatabase;
let runDir: string;

beforeAll(async () => {
  keyspace = uniqueName('rej');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}.notes (id int, part int, note text, day date, PRIMARY KEY ((part), id))`);
  for (let id = 0; id < ROWS; id++) {
    const bad = BAD.get(id);
    const note = bad?.column === 'note' ? `bad\u0000note ${id}` : `note ${id}`;
    // ~5,880,000 AD: Cassandra holds it, PostgreSQL's date ends at 5874897-12-31 (the driver builds it from days).
    const day = bad?.column === 'day' ? new (cassandra.types.LocalDate as unknown as new (days: number) => InstanceType<typeof cassandra.types.LocalDate>)(2_147_000_000) : cassandra.types.LocalDate.fromString('2024-02-29');
    await client.execute(`INSERT INTO ${keyspace}.notes (id, part, note, day) VALUES (?, ?, ?, ?)`, [id, id % 37, note, day], { prepare: true });
  }
  await client.shutdown();
  db = await createTestDatabase('rej');
  runDir = mkdtempSync(join(tmpdir(), 'rej-runs-'));
});
afterAll(async () => db?.close());

const args = (table: string, extra: string[]): string[] => [
  'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'notes', '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', table, '--run-dir', runDir, '--split-size-mb', '0.01', '--parallelism', '4', '--copy-flush-every', '50', ...extra,
];

describe('values the target cannot hold', () => {
  it('with onError: reject, every other row arrives and rejects.jsonl holds exactly the bad rows, key, column and reason', async () => {
    const run = await runC2y(args('rejected', ['--set', 'onError=reject', '--json']));
    expect(run.stderr).not.toContain('unexpected');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: ROWS - BAD.size, rejects: BAD.size });
    const ids = (await db.query<{ id: number }>('SELECT id FROM public.rejected ORDER BY id')).rows.map((row) => row.id);
    expect(ids).toEqual([...Array(ROWS).keys()].filter((id) => !BAD.has(id)));
    const rejects = readFileSync(join(runDir, report.runId, 'rejects.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: Record<string, string>; column: string; reason: string; raw: string });
    expect(rejects).toHaveLength(BAD.size);
    for (const reject of rejects) {
      const id = Number(reject.key['id']);
      const bad = BAD.get(id);
      expect(bad, `unexpected reject ${JSON.stringify(reject)}`).toBeDefined();
      expect(reject.column).toBe(bad!.column);
      expect(reject.reason).toMatch(bad!.reason);
      expect(reject.key['part']).toBe(String(id % 37));
    }
  });

  it('with onError: reject and maxErrors 1, the run stops and says how many were rejected', async () => {
    const run = await runC2y(args('toomany', ['--set', 'onError=reject', '--set', 'maxErrors=1', '--parallelism', '1']));
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('TOO_MANY_REJECTS');
    expect(run.stderr).toContain('maxErrors');
  });

  it('with onError: stop (the default), the run stops naming the row\'s key and the column', async () => {
    const run = await runC2y(args('stopped', []));
    expect(run.code).toBe(5);
    expect(run.stdout + run.stderr).toMatch(/VALUE_UNREPRESENTABLE: row \(part=\d+, id=(17|230|391)\), column "(note|day)"/);
    expect(run.stderr).toContain('onError: reject');
  });
});

describe('values only PostgreSQL refuses', () => {
  /** 10^140000 fits a Cassandra varint; PostgreSQL numeric holds at most 131,072 digits before the point. */
  const HUGE = 10n ** 140000n;
  const BAD_IDS = [5, 61];

  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.nums (id int, part int, v varint, PRIMARY KEY ((part), id))`);
    for (let id = 0; id < 80; id++) {
      await client.execute(`INSERT INTO ${keyspace}.nums (id, part, v) VALUES (?, ?, ?)`, [id, id % 3, BAD_IDS.includes(id) ? HUGE : BigInt(id) * 10n ** 30n], { prepare: true });
    }
    await client.shutdown();
  });

  const numsArgs = (table: string, extra: string[]): string[] => args(table, extra).map((arg) => (arg === 'notes' ? 'nums' : arg));

  // COPY text: PostgreSQL itself refuses the value (with binary, c2y sees the limit first; see the last test).
  it('isolates each refused row from PostgreSQL\'s error, rejects it, and commits every other row once', async () => {
    const run = await runC2y(numsArgs('nums_rejected', ['--set', 'onError=reject', '--set', 'target.copyFormat=text', '--parallelism', '1', '--copy-flush-every', '1000', '--json']));
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: 78, rejects: 2 });
    const ids = (await db.query<{ id: number }>('SELECT id FROM public.nums_rejected ORDER BY id')).rows.map((row) => row.id);
    expect(ids).toEqual([...Array(80).keys()].filter((id) => !BAD_IDS.includes(id)));
    const rejects = readFileSync(join(runDir, report.runId, 'rejects.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: Record<string, string>; column: string; reason: string });
    expect(rejects.map((r) => Number(r.key['id'])).sort((a, b) => a - b)).toEqual(BAD_IDS);
    for (const reject of rejects) {
      expect(reject.column).toBe('v');
      expect(reject.reason).toMatch(/PostgreSQL refused it: .*numeric/);
    }
  });

  it('with onError: stop, names the key and column PostgreSQL refused', async () => {
    const run = await runC2y(numsArgs('nums_stopped', ['--parallelism', '1', '--set', 'target.copyFormat=text']));
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/VALUE_UNREPRESENTABLE: row \(part=\d, id=(5|61)\), column "v": PostgreSQL refused it/);
  });

  it('with COPY binary, c2y refuses the same rows itself (numeric\'s limits are checked while encoding)', async () => {
    const run = await runC2y(numsArgs('nums_binary', ['--set', 'onError=reject', '--set', 'target.copyFormat=binary', '--parallelism', '1', '--json']));
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rows: 78, rejects: 2, copyFormat: { format: 'binary' } });
    const rejects = readFileSync(join(runDir, report.runId, 'rejects.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { key: Record<string, string>; column: string; reason: string });
    expect(rejects.map((r) => Number(r.key['id'])).sort((a, b) => a - b)).toEqual(BAD_IDS);
    for (const reject of rejects) expect(reject.reason).toMatch(/^varint 1000000000\d+… \(140001 digits\) is outside PostgreSQL numeric's range/);
  });
});
