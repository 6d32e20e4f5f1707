import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { describeTable } from '../../src/source/index.js';
import { keyTokenFunction } from '../../src/digest/key-token.js';
import { rowShape } from '../../src/digest/row-digest.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/**
 * source.where and source.tokenRanges end to end: migrate reads only the selection, validate compares only the
 * selection on both sides (rows outside it in the target are neither extra nor hidden differences), a resume must
 * keep it, and bad selections are refused before the target is touched.
 */
let keyspace: string;
let db: TestDatabase;
let runDir: string;
const REGIONS = ['eu', 'us', 'ap'];
const SHARDS = 5;
const PER_PARTITION = 12;

beforeAll(async () => {
  keyspace = uniqueName('select');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}.accounts (region text, shard int, id uuid, balance bigint, note text, PRIMARY KEY ((region, shard), id))`);
  for (const region of REGIONS) {
    for (let shard = 0; shard < SHARDS; shard++) {
      for (let i = 0; i < PER_PARTITION; i++) {
        await client.execute(`INSERT INTO ${keyspace}.accounts (region, shard, id, balance, note) VALUES (?, ?, ?, ?, ?)`, [region, shard, randomUUID(), BigInt(i * 100 - 300), `n${i}`], { prepare: true });
      }
    }
  }
  await client.shutdown();
  db = await createTestDatabase('select');
  runDir = mkdtempSync(join(tmpdir(), 'select-runs-'));
}, 120_000);
afterAll(async () => db?.close());

const args = (verb: 'migrate' | 'validate', target: string, extra: readonly string[] = []): string[] => [
  verb, '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'accounts', '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', target, '--run-dir', runDir, '--split-size-mb', '0.01', '--parallelism', '4', ...extra,
];

async function cassandraCount(where: string): Promise<number> {
  const client = await cassandraClient();
  try {
    const result = await client.execute(`SELECT count(*) AS n FROM ${keyspace}.accounts WHERE ${where} ALLOW FILTERING`);
    return Number(result.rows[0]?.['n']);
  } finally {
    await client.shutdown();
  }
}

async function targetCount(table: string, where = 'true'): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table} WHERE ${where}`)).rows[0]?.n ?? -1;
}

describe('source.where', () => {
  const WHERE = "region IN ('eu', 'us') AND shard = 2";

  it('migrates only the partitions it names; validate compares only them; a resume must keep it', async () => {
    const run = await runC2y([...args('migrate', 'acc_where', ['--set', `source.where=${WHERE}`]), '--json']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.rows).toBe(2 * PER_PARTITION);
    expect(await targetCount('acc_where')).toBe(2 * PER_PARTITION);
    expect(await targetCount('acc_where', "region IN ('eu', 'us') AND shard = 2")).toBe(2 * PER_PARTITION);

    // A row outside the selection in the target is none of validate's business when it keeps the selection.
    await db.query(`INSERT INTO public.acc_where (region, shard, id, balance, note) VALUES ('ap', 1, '${randomUUID()}', 5, 'outside')`);
    const clean = await runC2y(args('validate', 'acc_where', ['--set', `source.where=${WHERE}`]));
    expect(clean.code, clean.stdout.slice(-1500) + clean.stderr.slice(-1500)).toBe(0);
    // A changed row inside it is found.
    await db.query(`UPDATE public.acc_where SET note = 'changed' WHERE id = (SELECT id FROM public.acc_where WHERE region = 'eu' LIMIT 1)`);
    const differs = await runC2y(args('validate', 'acc_where', ['--set', `source.where=${WHERE}`]));
    expect(differs.code, differs.stdout.slice(-1500)).toBe(4);
    expect(differs.stdout).toMatch(/different 1\b/);
    // Without the selection, validate sees the whole table: rows never selected are missing, the outsider extra.
    const whole = await runC2y(args('validate', 'acc_where'));
    expect(whole.code).toBe(4);
    expect(whole.stdout).toMatch(new RegExp(`missing ${REGIONS.length * SHARDS * PER_PARTITION - 2 * PER_PARTITION}\\b`));

    const resumed = await runC2y(args('migrate', 'acc_where', ['--set', "source.where=region = 'eu' AND shard = 2", '--resume', report.runId]));
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`run ${report.runId} started with another selection`);
  });

  it('refuses a where it cannot keep exactly, before the target table is made', async () => {
    const cases: Array<[string, string]> = [
      ['note = \'n1\'', 'note is not a partition-key column (region, shard)'],
      ['id = 7c2f9e62-3c5a-4a7e-9d55-6f1f4b3a0c11', 'id is not a partition-key column'],
      ['shard = \'2\'', 'shard: a string cannot be compared with a int column'],
      ['shard = 3000000000', 'shard: 3000000000 does not fit a int'],
      ['region = \'eu\' OR shard = 1', 'conditions are joined by AND, found OR'],
      ['region = \'eu\'; DROP TABLE x', 'cannot read it from ";'],
      ['region = \'eu\' AND region = \'us\'', 'region is named twice'],
      ['nope = 1', 'accounts has no column nope'],
    ];
    for (const [where, message] of cases) {
      const refused = await runC2y(args('migrate', 'acc_refused', ['--set', `source.where=${where}`]));
      expect(refused.code, where).toBe(2);
      expect(refused.stderr, where).toContain(message);
    }
    for (const ranges of ['1:2:3', 'x:5', '9223372036854775808:0']) {
      const refused = await runC2y(args('migrate', 'acc_refused', ['--set', `source.tokenRanges=${ranges}`]));
      expect(refused.code, ranges).toBe(2);
      expect(refused.stderr, ranges).toContain('source.tokenRanges');
    }
    const nothing = await runC2y(args('migrate', 'acc_refused', ['--set', 'source.tokenRanges=0:100', '--set', 'source.skipTokenRanges=-10:200']));
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('leaves out every token');
    expect((await db.query(`SELECT to_regclass('public.acc_refused') AS t`)).rows[0]).toEqual({ t: null });
  });
});

describe('source.tokenRanges', () => {
  it('migrates only its ranges (less the skipped ones); validate compares only them', async () => {
    const selected = ['--set', 'source.tokenRanges=-6000000000000000000:3000000000000000000,8000000000000000000:-8000000000000000000', '--set', 'source.skipTokenRanges=-1000000000000000000:1000000000000000000'];
    const run = await runC2y([...args('migrate', 'acc_tokens', selected), '--json']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const token = 'token(region, shard)';
    const expected = await cassandraCount(`${token} > -6000000000000000000 AND ${token} <= -1000000000000000000`)
      + await cassandraCount(`${token} > 1000000000000000000 AND ${token} <= 3000000000000000000`)
      + await cassandraCount(`${token} > 8000000000000000000`)
      + await cassandraCount(`${token} <= -8000000000000000000`);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(REGIONS.length * SHARDS * PER_PARTITION);
    expect((JSON.parse(run.stdout) as RunReport).rows).toBe(expected);
    expect(await targetCount('acc_tokens')).toBe(expected);
    const clean = await runC2y(args('validate', 'acc_tokens', selected));
    expect(clean.code, clean.stdout.slice(-1500) + clean.stderr.slice(-1500)).toBe(0);
    const whole = await runC2y(args('validate', 'acc_tokens'));
    expect(whole.code).toBe(4);
    expect(whole.stdout).toMatch(new RegExp(`missing ${REGIONS.length * SHARDS * PER_PARTITION - expected}\\b`));
  });
});

describe('the token validate computes for a target row', () => {
  it('is Cassandra\'s own, for every partition-key type it takes, alone and composite', async () => {
    const client = await cassandraClient();
    const columns: Array<[string, string, () => unknown]> = [
      ['k_text', 'text', () => `t${Math.random().toString(36).slice(2)}é€😀`], ['k_ascii', 'ascii', () => `a${Math.floor(Math.random() * 1e6)}`],
      ['k_int', 'int', () => Math.floor(Math.random() * 2 ** 32) - 2 ** 31], ['k_bigint', 'bigint', () => BigInt.asIntN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) * 2099n)],
      ['k_small', 'smallint', () => Math.floor(Math.random() * 65536) - 32768], ['k_tiny', 'tinyint', () => Math.floor(Math.random() * 256) - 128],
      ['k_varint', 'varint', () => BigInt(Math.floor(Math.random() * 2 ** 53)) * (Math.random() < 0.5 ? -977n : 1013n) * 1_000_003n],
      ['k_uuid', 'uuid', () => cassandra.types.Uuid.random()], ['k_timeuuid', 'timeuuid', () => cassandra.types.TimeUuid.now()],
      ['k_ts', 'timestamp', () => new Date(Math.floor(Math.random() * 4e12) - 1e12)], ['k_date', 'date', () => cassandra.types.LocalDate.fromDate(new Date(Math.floor(Math.random() * 4e12) - 2e12))],
      ['k_bool', 'boolean', () => Math.random() < 0.5], ['k_blob', 'blob', () => randomBytes(1 + Math.floor(Math.random() * 30))],
      ['k_double', 'double', () => (Math.random() - 0.5) * 1e9], ['k_float', 'float', () => Math.fround((Math.random() - 0.5) * 1e4)],
      ['k_inet', 'inet', () => cassandra.types.InetAddress.fromString(Math.random() < 0.5 ? `10.${Math.floor(Math.random() * 256)}.0.${Math.floor(Math.random() * 256)}` : `2001:db8::${Math.floor(Math.random() * 65536).toString(16)}:1`)],
    ];
    try {
      // Every type in one composite key; alone (no composite framing), a few whose bytes are built differently.
      const alone = ['k_text', 'k_varint', 'k_date', 'k_inet', 'k_blob', 'k_double'];
      const tables = [['keyzoo', columns.map(([name]) => name)], ...alone.map((name) => [`key_${name}`, [name]] as [string, string[]])] as Array<[string, string[]]>;
      for (const [table, key] of tables) {
        const defs = columns.filter(([name]) => key.includes(name)).map(([name, type]) => `${name} ${type}`);
        await client.execute(`CREATE TABLE ${keyspace}.${table} (${defs.join(', ')}, v int, PRIMARY KEY ((${key.join(', ')})))`);
        for (let i = 0; i < 20; i++) {
          const values = columns.filter(([name]) => key.includes(name)).map(([, , make]) => make());
          await client.execute(`INSERT INTO ${keyspace}.${table} (${key.join(', ')}, v) VALUES (${key.map(() => '?').join(', ')}, ?)`, [...values, i], { prepare: true });
        }
        const described = await describeTable(client, keyspace, table);
        const shape = rowShape(described);
        const token = keyTokenFunction(described);
        if (typeof token === 'string') throw new Error(token);
        const rows = await client.execute(`SELECT token(${key.join(', ')}) AS t, ${key.join(', ')} FROM ${keyspace}.${table}`);
        expect(rows.rows.length, table).toBeGreaterThan(1);
        for (const row of rows.rows) {
          const texts = key.map((name) => (shape.columns.find((column) => column.name === name)?.canonical.fromCassandra(row[name]) ?? ''));
          expect(token(texts).toString(), `${table} ${texts.join(' | ')}`).toBe(String(row['t']));
        }
      }
    } finally {
      await client.shutdown();
    }
  }, 180_000);
});
