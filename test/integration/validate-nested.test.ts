import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

const { types } = cassandra;

interface Summary { differences: number; diffFile: string }
interface Difference { kind: string; key: Record<string, string>; columns?: Array<{ column: string; source: string; target: string }> }

let keyspace: string;
let db: TestDatabase;
let runDir: string;

/** Days since the epoch → the driver's LocalDate, for years a JavaScript Date string cannot spell. */
const dayOf = (days: number): InstanceType<typeof types.LocalDate> =>
  new (types.LocalDate as unknown as new (days: number) => InstanceType<typeof types.LocalDate>)(days);
/** 44 BC, 1 BC, year 1, year 9999's last day, year 12345. */
const EDGE_DAYS = [-736_338, -719_893, -719_162, 2_932_896, 3_789_716];
const time = (text: string): InstanceType<typeof types.LocalTime> => types.LocalTime.fromString(text);
const duration = (months: number, days: number, nanos: bigint): InstanceType<typeof types.Duration> =>
  new types.Duration(months, days, types.Long.fromString(nanos.toString()));

beforeAll(async () => {
  keyspace = uniqueName('valn');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TYPE ${keyspace}.moment (t time, d duration, day date, at timestamp)`);
  await client.execute(`CREATE TABLE ${keyspace}.nested (id int PRIMARY KEY, times list<time>, m frozen<moment>, pairs map<int, frozen<tuple<time, date>>>,
    days list<date>, jdays map<int, date>, doubles list<double>, dset set<double>, dmap map<double, int>, durations map<int, duration>, note text)`);
  const insert = `INSERT INTO ${keyspace}.nested (id, times, m, pairs, days, jdays, doubles, dset, dmap, durations, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL 86400`;
  for (let id = 0; id < 6; id++) {
    await client.execute(insert, [
      id,
      [time('00:00:00'), time('12:34:56.123456789'), time('23:59:59.999999999')],
      { t: time(`0${id}:00:00.000000001`), d: duration(-id, -id, -1_500_000_123n), day: dayOf(EDGE_DAYS[id % EDGE_DAYS.length] as number), at: new Date(Date.UTC(1, 0, 1) + id) },
      new Map([[1, new types.Tuple(time('01:02:03.4'), dayOf(EDGE_DAYS[(id + 1) % EDGE_DAYS.length] as number))]]),
      EDGE_DAYS.map(dayOf),
      new Map(EDGE_DAYS.map((days, index) => [index, dayOf(days)])),
      [-0, 0, 1.5, -0],
      [-0, 0, 2.5],
      new Map([[-0, 1], [0, 2]]),
      new Map([[1, duration(14, 3, 3_723_000_004_000n)], [2, duration(0, 0, -1_000n)]]),
      `n${id}`,
    ], { prepare: true });
  }
  await client.shutdown();
  db = await createTestDatabase('valn');
  runDir = mkdtempSync(join(tmpdir(), 'valn-runs-'));
  const migrated = await runC2y(['migrate', ...connection(), '--set', 'source.ttlColumns=note']);
  expect(migrated.code, migrated.stderr.slice(-2000)).toBe(0);
});
afterAll(async () => db?.close());

function connection(): string[] {
  return [
    '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'nested', '--target-hosts', db.hosts.join(','),
    '--database', db.database, '--run-dir', runDir,
  ];
}

async function validate(): Promise<{ code: number | null; stderr: string; summary: Summary; diff: Difference[] }> {
  const run = await runC2y(['validate', ...connection(), '--buckets', '8', '--json', '--set', 'source.ttlColumns=note']);
  const summary = JSON.parse(run.stdout) as Summary;
  const diff = readFileSync(summary.diffFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Difference);
  return { code: run.code, stderr: run.stderr, summary, diff };
}

describe('validate on nested time, duration, edge dates, -0.0 and TTL columns', () => {
  it('finds equal rows equal (also after the TTLs have shrunk)', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const result = await validate();
    expect(result.diff, result.stderr.slice(-1500)).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('finds a nested time one microsecond off, a -0.0 turned 0.0 and an edge date a day off', async () => {
    await db.query(`UPDATE public.nested SET m = jsonb_set(m, '{t}', '"01:00:00.000001"') WHERE id = 1`);
    await db.query(`UPDATE public.nested SET doubles[1] = 0 WHERE id = 2`);
    await db.query(`UPDATE public.nested SET days[1] = days[1] + 1 WHERE id = 3`);
    const result = await validate();
    expect(result.code).toBe(4);
    const named = result.diff.map((d) => `${d.kind} ${d.key['id']} ${(d.columns ?? []).map((c) => c.column).join(',')}`).sort();
    expect(named).toEqual(['different 1 m', 'different 2 doubles', 'different 3 days']);
  });
});

describe('floats on a server that rounds them (YugabyteDB\'s PostgreSQL 11 default, emulated with extra_float_digits = 0)', () => {
  it('compares every double and float bit for bit, in columns and arrays', async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.floats (id int PRIMARY KEY, d double, f float, ds list<double>)`);
    const values = [0.1 + 0.2, 1 / 3, 2 ** -1074, 123456789.12345679, -0.000001];
    for (let id = 0; id < values.length; id++) {
      await client.execute(`INSERT INTO ${keyspace}.floats (id, d, f, ds) VALUES (?, ?, ?, ?)`, [id, values[id], values[id], [values[id], -(values[id] as number)]], { prepare: true });
    }
    await client.shutdown();
    const args = ['--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'floats', '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', runDir];
    expect((await runC2y(['migrate', ...args])).code).toBe(0);
    // Every new session of this database now prints rounded floats, as a YugabyteDB node does by default.
    await db.query(`ALTER DATABASE ${db.database} SET extra_float_digits = 0`);
    try {
      const run = await runC2y(['validate', ...args, '--buckets', '4', '--json']);
      expect(run.code, run.stdout + run.stderr.slice(-1000)).toBe(0);
    } finally {
      await db.query(`ALTER DATABASE ${db.database} RESET extra_float_digits`);
    }
  });
});
