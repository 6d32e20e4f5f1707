import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

let keyspace: string;
let db: TestDatabase;

interface KeyspaceJson {
  keyspace: string;
  tables: Array<{ name: string; target: string; ddl: string | null; created: boolean | null }>;
  excluded: string[];
  views: Array<{ name: string; baseTable: string; reason: string }>;
  refusals: Array<{ table: string; code: string; message: string }>;
  indexes: Array<{ table: string; name: string; ddl: string | null; reason: string }>;
}

beforeAll(async () => {
  keyspace = uniqueName('ksw');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  const ddl = [
    `CREATE TYPE ${keyspace}.address (street text, zip int)`,
    `CREATE TABLE ${keyspace}.events (id uuid, at timestamp, kind text, PRIMARY KEY (id, at))`,
    `CREATE TABLE ${keyspace}."MixedCase" ("Key" int PRIMARY KEY, "Value" text)`,
    `CREATE TABLE ${keyspace}.keys_only (a int, b int, PRIMARY KEY (a, b))`,
    `CREATE TABLE ${keyspace}.hits (page text PRIMARY KEY, n counter)`,
    `CREATE TABLE ${keyspace}.people (id int PRIMARY KEY, home frozen<address>, tags set<text>)`,
    `CREATE TABLE ${keyspace}.empty_one (id int PRIMARY KEY, v text)`,
    `CREATE TABLE ${keyspace}.tmp_scratch (id int PRIMARY KEY)`,
    `CREATE INDEX ON ${keyspace}.people (tags)`,
    `CREATE INDEX events_kind ON ${keyspace}.events (kind)`,
    `CREATE CUSTOM INDEX mixed_value ON ${keyspace}."MixedCase" ("Value") USING 'StorageAttachedIndex'`,
    `CREATE MATERIALIZED VIEW ${keyspace}.events_by_kind AS SELECT * FROM ${keyspace}.events WHERE kind IS NOT NULL AND id IS NOT NULL AND at IS NOT NULL PRIMARY KEY (kind, id, at)`,
  ];
  for (const statement of ddl) await client.execute(statement);
  for (let i = 0; i < 300; i++) {
    await client.execute(`INSERT INTO ${keyspace}.events (id, at, kind) VALUES (uuid(), toTimestamp(now()), ?)`, [`kind ${i % 7}`], { prepare: true });
  }
  for (let i = 0; i < 20; i++) await client.execute(`INSERT INTO ${keyspace}."MixedCase" ("Key", "Value") VALUES (?, 'v')`, [i], { prepare: true });
  await client.shutdown();
  db = await createTestDatabase('ksw');
}, 120_000);
afterAll(async () => db?.close());

const base = (): string[] => ['schema', '--contact-points', RING.join(','), '--keyspace', keyspace, '--target-hosts', db.hosts.join(','), '--database', db.database];
const ALL = ['MixedCase', 'empty_one', 'events', 'hits', 'keys_only', 'people', 'tmp_scratch'];

describe('keyspace-wide schema, plan and validate (no --table)', () => {
  it('writes the DDL of every table, case kept, and lists the materialized view as skipped with why', async () => {
    const run = await runC2y([...base(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as KeyspaceJson;
    expect(out.tables.map((t) => t.name)).toEqual(ALL);
    expect(out.tables.every((t) => t.ddl !== null)).toBe(true);
    expect(out.tables.find((t) => t.name === 'MixedCase')?.ddl).toContain('"public"."MixedCase"');
    expect(out.tables.find((t) => t.name === 'keys_only')?.ddl).toContain('PRIMARY KEY ("a", "b")');
    expect(out.views).toEqual([expect.objectContaining({ name: 'events_by_kind', baseTable: 'events' })]);
    expect(out.refusals).toEqual([]);
    // 2i and SAI on a plain column: a B-tree on the target, to build after the rows are in; on a set's values: listed.
    expect(out.indexes.map((i) => [i.table, i.name, i.ddl])).toEqual([
      ['MixedCase', 'mixed_value', 'CREATE INDEX IF NOT EXISTS "mixed_value" ON "public"."MixedCase" ("Value")'],
      ['events', 'events_kind', 'CREATE INDEX IF NOT EXISTS "events_kind" ON "public"."events" ("kind")'],
      ['people', 'people_tags_idx', null],
    ]);
    expect(out.indexes[2]?.reason).toContain('values(tags) is not a plain column');
  });

  it('--tables and --exclude-tables choose by name and pattern; --apply creates them, and again finds them fitting', async () => {
    const chosen = ['--tables', 'e*,MixedCase,people', '--exclude-tables', 'empty_?ne'];
    const apply = await runC2y([...base(), ...chosen, '--apply', '--json']);
    expect(apply.code, apply.stderr).toBe(0);
    const out = JSON.parse(apply.stdout) as KeyspaceJson;
    expect(out.tables.map((t) => [t.name, t.created])).toEqual([['MixedCase', true], ['events', true], ['people', true]]);
    expect(out.excluded).toEqual(['empty_one', 'hits', 'keys_only', 'tmp_scratch']);
    const made = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(made.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['MixedCase', 'events', 'people']));
    const again = await runC2y([...base(), ...chosen, '--apply']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/already exists and fits/g)).toHaveLength(3);
  });

  it('names what does not exist: a keyspace (listing those that do), a --tables name, a view named as a table', async () => {
    const noKeyspace = await runC2y([...base().map((a) => (a === keyspace ? `${keyspace}_nope` : a))]);
    expect(noKeyspace.code).toBe(2);
    expect(noKeyspace.stderr).toContain(`keyspace "${keyspace}_nope" does not exist`);
    expect(noKeyspace.stderr).toContain(keyspace);
    const noTable = await runC2y([...base(), '--tables', 'events,evnts,events_by_kind']);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('"evnts", "events_by_kind"');
    expect(noTable.stderr).toContain('events_by_kind: materialized view, never migrated');
  });

  it('c2y plan without a table measures every table as migrate would, largest first, with the totals', async () => {
    const args = base().filter((a) => a !== 'schema');
    const run = await runC2y(['plan', ...args, '--exclude-tables', 'hits', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as { tables: Array<{ name: string; rows: number; bytes: number; splits: number; refusal: unknown }>; totals: { tables: number; rows: number; splits: number }; views: unknown[] };
    expect(plan.tables.map((t) => t.name).slice(0, 2)).toEqual(['events', 'MixedCase']);
    expect(plan.tables.find((t) => t.name === 'events')?.rows).toBe(300);
    expect(plan.tables.find((t) => t.name === 'empty_one')).toMatchObject({ rows: 0, refusal: null });
    expect(plan.totals.tables).toBe(6);
    expect(plan.totals.rows).toBe(plan.tables.reduce((sum, t) => sum + t.rows, 0));
    expect(plan.tables.every((t) => t.splits >= 1)).toBe(true);
    expect(plan.views).toHaveLength(1);
  });

  it('c2y validate without a table validates every chosen table, each in its own folder, and names the ones that differ', async () => {
    const source = ['--contact-points', RING.join(','), '--keyspace', keyspace, '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', `/tmp/${keyspace}`];
    for (const table of ['events', 'MixedCase', 'people']) {
      const migrated = await runC2y(['migrate', ...source, '--table', table, '--json']);
      expect(migrated.code, migrated.stderr.slice(-1000)).toBe(0);
    }
    const chosen = ['--tables', 'e*,MixedCase,people', '--exclude-tables', 'empty_?ne'];
    const clean = await runC2y(['validate', ...source, ...chosen, '--json']);
    expect(clean.code, clean.stderr.slice(-1000)).toBe(0);
    const summary = JSON.parse(clean.stdout) as { tables: Array<{ table: string; summary: { sourceRows: number; differences: number } | null }>; differingTables: string[] };
    expect(summary.tables.map((t) => [t.table, t.summary?.sourceRows, t.summary?.differences])).toEqual([['MixedCase', 20, 0], ['events', 300, 0], ['people', 0, 0]]);
    expect(summary.differingTables).toEqual([]);

    await db.query('DELETE FROM public.events WHERE ctid IN (SELECT ctid FROM public.events LIMIT 2)');
    const differs = await runC2y(['validate', ...source, ...chosen]);
    expect(differs.code).toBe(4);
    expect(differs.stdout).toContain('events: source 300, target 298, differences 2');
    expect(differs.stderr).toContain('rows differ in 1 table(s): events');

    // A chosen table the target does not hold is named, and the others are still validated.
    const missing = await runC2y(['validate', ...source, '--tables', 'MixedCase,keys_only']);
    expect(missing.code).toBe(5);
    expect(missing.stdout).toContain('MixedCase: source 20, target 20, differences 0');
    expect(missing.stdout).toMatch(/keys_only: not validated: TARGET_TABLE_MISMATCH: the target has no table "public"."keys_only"/);
  });

  it('refuses settings that describe one table when no table is given, and keyspace choices on one-table commands', async () => {
    const oneTable = await runC2y([...base(), '--target-table', 'x']);
    expect(oneTable.code).toBe(2);
    expect(oneTable.stderr).toContain('target.table describes one table');
    const migrate = await runC2y(['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'events', '--tables', 'events', '--target-hosts', db.hosts.join(','), '--database', db.database]);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toContain('config key "source.tables" chooses tables for a keyspace-wide command');
    const skipOne = await runC2y(['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'events', '--skip-unsupported', '--target-hosts', db.hosts.join(','), '--database', db.database]);
    expect(skipOne.code).toBe(2);
    expect(skipOne.stderr).toContain('--skip-unsupported is for a whole keyspace');
  });
});
