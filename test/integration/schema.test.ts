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
