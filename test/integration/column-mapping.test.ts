import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/**
 * `columns` end to end: a column left out, columns renamed (a key column and one named __proto__), retyped
 * (varchar(40), timestamp without time zone, bigint for int) and a constant added; migrate in both COPY formats,
 * validate clean on the mapped table, and a changed value in a renamed column found. Bad mappings are refused
 * before any row moves.
 */
let keyspace: string;
let db: TestDatabase;
let runDir: string;
const ROWS = 90;

// Written as text: in an object literal, `__proto__: 'proto'` would set the prototype instead of a key.
const MAPPING = '{"exclude":["secret"],"rename":{"id":"order_id","note":"comment","__proto__":"proto"},'
  + '"types":{"note":"varchar(40)","at":"timestamp without time zone","qty":"bigint"},"constants":{"tenant":"acme"}}';

beforeAll(async () => {
  keyspace = uniqueName('colmap');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}.orders (id int, at timestamp, note text, "__proto__" text, qty int, secret text, PRIMARY KEY ((id), at))`);
  for (let id = 0; id < ROWS; id++) {
    await client.execute(`INSERT INTO ${keyspace}.orders (id, at, note, "__proto__", qty, secret) VALUES (?, ?, ?, ?, ?, ?)`,
      [id % 30, new Date(Date.UTC(2025, 5, 1, 12) + id * 60_000), `note ${id}`, id % 4 === 0 ? null : `p${id}`, id * 3, `secret ${id}`], { prepare: true });
  }
  await client.shutdown();
  db = await createTestDatabase('colmap');
  runDir = mkdtempSync(join(tmpdir(), 'colmap-runs-'));
}, 120_000);
afterAll(async () => db?.close());

const args = (verb: 'migrate' | 'validate', target: string, extra: readonly string[] = []): string[] => [
  verb, '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'orders', '--target-hosts', db.hosts.join(','),
  '--database', db.database, '--target-table', target, '--run-dir', runDir, '--split-size-mb', '0.01', '--parallelism', '3', ...extra,
];
const env = { C2Y_COLUMNS: MAPPING };

describe('column mapping', () => {
  it('moves the mapped columns in either COPY format; validate is clean and finds a changed renamed column', async () => {
    for (const [target, format] of [['orders_text', 'text'], ['orders_auto', 'auto']] as const) {
      const run = await runC2y([...args('migrate', target, ['--set', `target.copyFormat=${format}`]), '--json'], env);
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      const report = JSON.parse(run.stdout) as RunReport;
      expect(report.rows).toBe(ROWS);
      // qty is bigint where c2y writes integer: auto stays on text and says why.
      expect(report.copyFormat.format).toBe('text');
      if (format === 'auto') expect(report.copyFormat.reason).toContain('"qty" is bigint, binary writes integer');
      const columns = await db.query<{ column_name: string; data_type: string }>(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [target]);
      expect(columns.rows).toEqual([
        { column_name: 'order_id', data_type: 'integer' }, { column_name: 'at', data_type: 'timestamp without time zone' },
        { column_name: 'proto', data_type: 'text' }, { column_name: 'comment', data_type: 'character varying' },
        { column_name: 'qty', data_type: 'bigint' }, { column_name: 'tenant', data_type: 'text' },
      ]);
      const validated = await runC2y(args('validate', target), env);
      expect(validated.code, validated.stdout.slice(-1500) + validated.stderr.slice(-1500)).toBe(0);
    }
    // Without the bigint override every target column takes COPY binary: renamed, varchar, timestamp, the constant.
    const binaryEnv = { C2Y_COLUMNS: MAPPING.replace(',"qty":"bigint"', '') };
    const binary = await runC2y([...args('migrate', 'orders_binary'), '--json'], binaryEnv);
    expect(binary.code, binary.stderr.slice(-2000)).toBe(0);
    expect((JSON.parse(binary.stdout) as RunReport).copyFormat.format).toBe('binary');
    const binaryValidated = await runC2y(args('validate', 'orders_binary'), binaryEnv);
    expect(binaryValidated.code, binaryValidated.stdout.slice(-1500)).toBe(0);
    const sameRows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT order_id, at, proto, comment, qty, tenant FROM public.orders_text EXCEPT SELECT order_id, at, proto, comment, qty, tenant FROM public.orders_binary) x`);
    expect(sameRows.rows[0]?.n).toBe(0);
    const row = await db.query<{ order_id: number; at: string; comment: string; proto: string | null; qty: string; tenant: string }>(
      `SELECT order_id, to_char(at, 'YYYY-MM-DD HH24:MI') AS at, comment, proto, qty::text AS qty, tenant FROM public.orders_text WHERE comment = 'note 5'`);
    expect(row.rows).toEqual([{ order_id: 5, at: '2025-06-01 12:05', comment: 'note 5', proto: 'p5', qty: '15', tenant: 'acme' }]);

    await db.query(`UPDATE public.orders_auto SET comment = 'changed' WHERE comment = 'note 7'`);
    const differs = await runC2y(args('validate', 'orders_auto'), env);
    expect(differs.code).toBe(4);
    const diffFile = /diff: (\S+)/.exec(differs.stdout)?.[1] ?? '';
    expect(readFileSync(diffFile, 'utf8')).toContain('"column":"note"');
    expect(readFileSync(diffFile, 'utf8')).toContain('note 7');
    // --repair rewrites the row through the same mapping (renamed key, retyped columns, the constant).
    const repaired = await runC2y(args('validate', 'orders_auto', ['--repair']), env);
    expect(repaired.code, repaired.stdout.slice(-1500) + repaired.stderr.slice(-1500)).toBe(0);
    const clean = await runC2y(args('validate', 'orders_auto'), env);
    expect(clean.code, clean.stdout.slice(-1500)).toBe(0);
    const fixed = await db.query<{ tenant: string }>(`SELECT tenant FROM public.orders_auto WHERE comment = 'note 7'`);
    expect(fixed.rows).toEqual([{ tenant: 'acme' }]);
  }, 240_000);

  it('a mapping that names a missing column, leaves out a key column or retypes beyond the values is refused before any row moves', async () => {
    const cases: Array<[object, string]> = [
      [{ include: ['id', 'at', 'ghost'] }, 'columns.include names "ghost", which'],
      [{ exclude: ['at'] }, 'primary key column "at" cannot be left out'],
      [{ types: { note: 'integer' } }, '"note" cannot become integer'],
      [{ rename: { note: 'qty' } }, 'two target columns would be called "qty"'],
    ];
    for (const [mapping, message] of cases) {
      const run = await runC2y(args('migrate', 'orders_refused'), { C2Y_COLUMNS: JSON.stringify(mapping) });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
    }
    const exists = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'orders_refused'`);
    expect(exists.rows).toEqual([]);
  }, 120_000);

  it('a resume must keep the mapping its run started with (committed rows have that shape)', async () => {
    const first = await runC2y([...args('migrate', 'orders_resume'), '--json'], env);
    expect(first.code, first.stderr.slice(-1500)).toBe(0);
    const other = await runC2y(args('migrate', 'orders_resume', ['--resume']), { C2Y_COLUMNS: MAPPING.replace('"tenant":"acme"', '"tenant":"globex"') });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('started with another column mapping');
    const same = await runC2y(args('migrate', 'orders_resume', ['--resume']), env);
    expect(same.code, same.stderr.slice(-1500)).toBe(0);
  }, 120_000);
});
