import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

let keyspace: string;
let db: TestDatabase;

beforeAll(async () => {
  keyspace = uniqueName('names');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}."OrderItems" ("Tenant" int, "select" text, "Qty" int, "we""ird col" text, PRIMARY KEY (("Tenant"), "select")) WITH CLUSTERING ORDER BY ("select" DESC)`);
  for (let i = 0; i < 50; i++) {
    await client.execute(`INSERT INTO ${keyspace}."OrderItems" ("Tenant", "select", "Qty", "we""ird col") VALUES (?, ?, ?, ?)`, [i % 5, `item ${i}`, i, `v"${i}`], { prepare: true });
  }
  await client.shutdown();
  db = await createTestDatabase('names');
});
afterAll(async () => db?.close());

/** Cassandra allows only [A-Za-z0-9_] in table names (case kept when quoted); PostgreSQL gets "Order Items". */
const base = (): string[] => ['--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'OrderItems', '--target-table', 'Order Items', '--target-hosts', db.hosts.join(','), '--database', db.database];

describe('c2y schema and odd names', () => {
  it('prints DDL with every identifier quoted and the clustering order kept for YugabyteDB', async () => {
    const run = await runC2y(['schema', ...base(), '--dialect', 'yugabyte']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('CREATE TABLE IF NOT EXISTS "public"."Order Items"');
    expect(run.stdout).toContain('"we""ird col" text');
    expect(run.stdout).toContain('PRIMARY KEY (("Tenant") HASH, "select" DESC)');
  });

  it('--apply creates the table on the detected server, and migrate fills it', async () => {
    const apply = await runC2y(['schema', ...base(), '--apply']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('-- created');
    expect(apply.stdout).toContain('PRIMARY KEY ("Tenant", "select")');
    const run = await runC2y(['migrate', ...base(), '--run-dir', `/tmp/${keyspace}`, '--json']);
    expect(run.code).toBe(0);
    const rows = await db.query<{ n: number; total: number; weird: number }>(`SELECT count(*)::int AS n, sum("Qty")::int AS total, count(*) FILTER (WHERE "we""ird col" LIKE 'v"%')::int AS weird FROM public."Order Items"`);
    expect(rows.rows[0]).toEqual({ n: 50, total: (49 * 50) / 2, weird: 50 });
  });
});

describe('writetime() and ttl() columns, on request', () => {
  beforeAll(async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.kept (k int PRIMARY KEY, v text, n int)`);
    await client.execute(`INSERT INTO ${keyspace}.kept (k, v, n) VALUES (1, 'a', 10) USING TIMESTAMP 1234567890123456 AND TTL 86400`);
    await client.execute(`INSERT INTO ${keyspace}.kept (k, v, n) VALUES (2, 'b', 20) USING TIMESTAMP 1700000000000001`);
    await client.shutdown();
  });

  const keptArgs = (extra: string[]): string[] => ['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'kept',
    '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', `/tmp/${keyspace}`, ...extra];

  it('keeps each chosen column\'s write time (microseconds, exact) and TTL beside it', async () => {
    const run = await runC2y(keptArgs(['--set', 'source.writetimeColumns=v', '--set', 'source.ttlColumns=v,n']));
    expect(run.stderr).not.toContain('c2y:');
    expect(run.code).toBe(0);
    const rows = await db.query<{ k: number; v_writetime: string; v_ttl: number | null; n_ttl: number | null }>('SELECT k, v_writetime, v_ttl, n_ttl FROM public.kept ORDER BY k');
    expect(rows.rows[0]).toMatchObject({ k: 1, v_writetime: '1234567890123456' });
    expect(rows.rows[0]!.v_ttl).toBeGreaterThan(86_000);
    expect(rows.rows[0]!.n_ttl).toBeLessThanOrEqual(86_400);
    expect(rows.rows[1]).toEqual({ k: 2, v_writetime: '1700000000000001', v_ttl: null, n_ttl: null });
  });

  it('refuses a primary key column with a message naming the setting', async () => {
    const run = await runC2y(keptArgs(['--target-table', 'kept2', '--set', 'source.writetimeColumns=k']));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CONFIG_INVALID: source.writetimeColumns names "k"/);
  });
});

describe('hostile identifiers', () => {
  const HOSTILE = 'x"; DROP TABLE y; --';

  it('a column named x"; DROP TABLE y; -- is quoted everywhere: schema, migrate, validate; nothing is dropped', async () => {
    const client = await cassandraClient();
    await client.execute(`CREATE TABLE ${keyspace}.hostile (k int PRIMARY KEY, "${HOSTILE.replace(/"/g, '""')}" text, "SELECT" int)`);
    for (let k = 0; k < 20; k++) await client.execute(`INSERT INTO ${keyspace}.hostile (k, "${HOSTILE.replace(/"/g, '""')}", "SELECT") VALUES (?, ?, ?)`, [k, `'); DROP TABLE y; -- ${k}`, k], { prepare: true });
    await client.shutdown();
    await db.query('CREATE TABLE public.y (id int)');
    const common = ['--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'hostile', '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', `/tmp/${keyspace}`];
    const migrate = await runC2y(['migrate', ...common, '--json']);
    expect(migrate.code).toBe(0);
    const validate = await runC2y(['validate', ...common, '--json']);
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ sourceRows: 20, targetRows: 20, differences: 0 });
    const y = await db.query(`SELECT to_regclass('public.y') AS y`);
    expect(y.rows[0]?.y).toBe('y');
    const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.hostile WHERE "${HOSTILE.replace(/"/g, '""')}" LIKE '''); DROP TABLE y; -- %'`);
    expect(rows.rows[0]!.n).toBe(20);
  });
});
