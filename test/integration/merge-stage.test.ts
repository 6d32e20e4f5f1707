import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CqlType, SourceTable } from '../../src/schema/index.js';
import { CheckpointStore, checkMergeKey, CopyIn, MergeStage } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

/**
 * target.onExisting against a real PostgreSQL: COPY fills a session's stage, and the commit that advances the
 * checkpoint merges it (skip or update) all or nothing with the fence; names that are keywords or JS object members
 * are identifiers like any other, and the target's NOT NULL and CHECK rules refuse a row at its COPY line.
 */
let db: TestDatabase;
let client: pg.Client;
const store = new CheckpointStore('c2y');
const RUN = 'merge-run';
const int: CqlType = { kind: 'scalar', name: 'int' };
const text: CqlType = { kind: 'scalar', name: 'text' };
const table: SourceTable = {
  keyspace: 'ks', name: 'm', partitionKeys: ['values'], clusteringKeys: ['__proto__'],
  columns: [
    { name: 'values', type: int, role: 'partition' }, { name: '__proto__', type: int, role: 'clustering' },
    { name: 'constructor', type: text, role: 'regular' }, { name: 'Amount "x"', type: int, role: 'regular' },
  ],
};
const target = { schema: 'public', table: 'merge target' };
let split = 0;

beforeAll(async () => {
  db = await createTestDatabase('mergestage');
  client = new pg.Client({ host: '127.0.0.1', port: db.port, user: 'postgres', database: db.database });
  await client.connect();
  await store.ensureTables(client);
  await client.query(`CREATE TABLE public."merge target" ("values" int, "__proto__" int, "constructor" text NOT NULL, "Amount ""x""" int CHECK ("Amount ""x""" >= 0),
    extra text NOT NULL DEFAULT 'kept', PRIMARY KEY ("values", "__proto__"))`);
  await store.createRun(client, { runId: RUN, source: 'ks.m', target: 'merge target', plan: {}, splitIds: [0, 1, 2, 3, 4, 5, 6, 7] });
});
afterAll(async () => {
  await client?.end();
  await db?.close();
});

async function reset(rows: string): Promise<void> {
  await db.query('TRUNCATE public."merge target"');
  if (rows) await db.query(`INSERT INTO public."merge target" ("values", "__proto__", "constructor", "Amount ""x""") VALUES ${rows}`);
}

/** One batch through the stage and a fenced commit; returns the commit's outcome. */
async function mergeBatch(stage: MergeStage, lines: string, fenceFrom: bigint | null = null): Promise<{ fenced: boolean; existing: number }> {
  await stage.prepare(client);
  const id = split++;
  await client.query('BEGIN');
  const copy = CopyIn.start(client, stage.copySql);
  await copy.write(Buffer.from(lines));
  await copy.finish();
  const rows = lines.split('\n').filter(Boolean).length;
  const outcome = await store.advanceAndCommit(client, { runId: RUN, splitId: id, from: { token: fenceFrom, position: null }, to: { token: 1n, position: null }, rows, done: true, merge: stage.merge() }, false);
  if (!outcome.fenced) await client.query('ROLLBACK');
  return outcome;
}

const contents = async (): Promise<string[]> => (await db.query<{ r: string }>(`SELECT concat_ws(',', "values", "__proto__", "constructor", "Amount ""x""", extra) AS r FROM public."merge target" ORDER BY 1`)).rows.map((row) => row.r);

describe('MergeStage', () => {
  it('skip inserts new keys and leaves the rows already there as they were', async () => {
    await reset(`(1, 1, 'old', 5), (2, 2, 'same', 7)`);
    const outcome = await mergeBatch(new MergeStage(table, target, 'text', 'skip'), '1\t1\tnew\t6\n2\t2\tsame\t7\n3\t3\tthree\t8\n');
    expect(outcome).toEqual({ fenced: true, existing: 2 });
    expect(await contents()).toEqual(['1,1,old,5,kept', '2,2,same,7,kept', '3,3,three,8,kept']);
  });

  it('update overwrites changed rows, leaves equal ones unwritten, counts both as held, and keeps columns it does not write', async () => {
    await reset(`(1, 1, 'old', 5), (2, 2, 'same', 7)`);
    const before = (await db.query(`SELECT xmin::text AS x FROM public."merge target" WHERE "values" = 2`)).rows[0] as { x: string };
    const outcome = await mergeBatch(new MergeStage(table, target, 'text', 'update'), '1\t1\tnew\t\\N\n2\t2\tsame\t7\n3\t3\tthree\t8\n');
    expect(outcome).toEqual({ fenced: true, existing: 2 });
    expect(await contents()).toEqual(['1,1,new,kept', '2,2,same,7,kept', '3,3,three,8,kept']);
    // The equal row has no new version.
    expect((await db.query(`SELECT xmin::text AS x FROM public."merge target" WHERE "values" = 2`)).rows[0]).toEqual(before);
  });

  it('a fence that does not hold merges nothing, and the stage is empty for the next transaction', async () => {
    await reset('');
    const stage = new MergeStage(table, target, 'text', 'update');
    expect(await mergeBatch(stage, '9\t9\tnine\t9\n', 42n)).toEqual({ fenced: false, existing: 0 });
    expect(await contents()).toEqual([]);
    expect(await mergeBatch(stage, '8\t8\teight\t8\n')).toEqual({ fenced: true, existing: 0 });
    expect(await contents()).toEqual(['8,8,eight,8,kept']);
    const staged = await client.query('SELECT count(*)::int AS n FROM pg_temp.c2y_stage_1');
    expect(staged.rows[0]).toEqual({ n: 0 });
  });

  it("the target's NOT NULL and CHECK rules refuse a row at its COPY line", async () => {
    const stage = new MergeStage(table, target, 'text', 'skip');
    await stage.prepare(client);
    for (const [line, pattern] of [['1\t1\t\\N\t1\n', /null value in column "constructor"/], ['1\t1\tx\t-1\n', /violates check constraint/]] as const) {
      await client.query('BEGIN');
      const copy = CopyIn.start(client, stage.copySql);
      const failed = copy.write(Buffer.from(line)).then(() => copy.finish()).then(() => undefined, (error: unknown) => error as { message: string; where?: string });
      const error = await failed;
      await client.query('ROLLBACK');
      expect(error?.message).toMatch(pattern);
      expect(error?.where).toMatch(/COPY c2y_stage_\d+, line 1/);
    }
  });

  it('a target whose key has no unique index is refused before any row moves, naming the columns', async () => {
    await db.query('CREATE TABLE public.nokey ("values" int, "__proto__" int, "constructor" text, "Amount ""x""" int)');
    await expect(checkMergeKey(client, table, { schema: 'public', table: 'nokey' }, 'skip')).rejects.toThrow(/no primary key or unique index on exactly those columns.*|"values", "__proto__"/);
    await db.query('CREATE UNIQUE INDEX ON public.nokey ("__proto__", "values")');
    await expect(checkMergeKey(client, table, { schema: 'public', table: 'nokey' }, 'skip')).resolves.toBeUndefined();
  });

  it('a column type without equality (json) is rewritten every time instead of compared', async () => {
    await db.query('CREATE TABLE public.withjson (k int PRIMARY KEY, doc json)');
    const jsonTable: SourceTable = { keyspace: 'ks', name: 'withjson', partitionKeys: ['k'], clusteringKeys: [], columns: [{ name: 'k', type: int, role: 'partition' }, { name: 'doc', type: text, role: 'regular', targetType: 'json' }] };
    const stage = new MergeStage(jsonTable, { schema: 'public', table: 'withjson' }, 'text', 'update');
    await db.query(`INSERT INTO public.withjson VALUES (1, '{"a":1}')`);
    await stage.prepare(client);
    expect(stage.merge().updateSql).toMatch(/DO UPDATE/);
    expect(stage.merge().updateSql).not.toMatch(/IS DISTINCT FROM/);
    expect(await mergeBatch(stage, '1\t{"a":2}\n2\t{}\n')).toEqual({ fenced: true, existing: 1 });
    expect((await db.query('SELECT doc::text AS d FROM public.withjson ORDER BY k')).rows).toEqual([{ d: '{"a":2}' }, { d: '{}' }]);
  });
});
