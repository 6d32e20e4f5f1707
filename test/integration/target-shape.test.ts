import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetColumnTypes, targetShapeCheck, targetTableChanged, withTargetColumns } from '../../src/sink/index.js';
import type { SourceTable } from '../../src/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('shape');
});
afterAll(async () => db?.close());

// Names that trip quoting and object-key logic, and the types whose change would go unnoticed by COPY.
const TABLE: SourceTable = {
  keyspace: 'k', name: 'shaped', partitionKeys: ['id'], clusteringKeys: [],
  columns: [
    { name: 'id', type: { kind: 'scalar', name: 'int' }, role: 'partition' },
    { name: '__proto__', type: { kind: 'scalar', name: 'decimal' }, role: 'regular' },
    { name: 'it\'s "%s"', type: { kind: 'scalar', name: 'bigint' }, role: 'regular' },
    { name: 'values', type: { kind: 'scalar', name: 'text' }, role: 'regular' },
  ],
};

/** The commit's check in a transaction of its own, as the commit message runs it: undefined when it passes. */
async function check(table: string, planned: SourceTable): Promise<string | undefined> {
  const sql = targetShapeCheck({ schema: 'public', table }, planned.targetColumns ?? []);
  if (sql === undefined) throw new Error('no check');
  try {
    await db.query(`BEGIN; ${sql}; ROLLBACK`);
    return undefined;
  } catch (error) {
    await db.query('ROLLBACK');
    return targetTableChanged(error, { schema: 'public', table }, 7)?.message ?? `other: ${String(error)}`;
  }
}

describe('the commit\'s target table check', () => {
  it('passes on the table as planned, and names each change: a typmod, a type, a column gone', async () => {
    await db.query(`CREATE TABLE public.shaped (id int PRIMARY KEY, "__proto__" numeric(20,4), "it's ""%s""" bigint, "values" varchar(10))`);
    const planned = withTargetColumns(TABLE, await targetColumnTypes(db, { schema: 'public', table: 'shaped' }));
    expect(planned.targetColumns?.map((c) => c.name)).toEqual(['id', '__proto__', 'it\'s "%s"', 'values']);
    expect(await check('shaped', planned)).toBeUndefined();
    await db.query('ALTER TABLE public.shaped ALTER COLUMN "__proto__" TYPE numeric(20,2)');
    expect(await check('shaped', planned)).toBe('split 7: the target table "public"."shaped" changed during the run ("__proto__" is numeric(20,2), planned numeric(20,4)); the transaction was rolled back, nothing of it committed');
    await db.query(`ALTER TABLE public.shaped ALTER COLUMN "it's ""%s""" TYPE timestamp USING to_timestamp("it's ""%s""")`);
    await db.query('ALTER TABLE public.shaped DROP COLUMN "values"');
    expect(await check('shaped', planned)).toMatch(/\("__proto__" is numeric\(20,2\), planned numeric\(20,4\); "it's "%s"" is timestamp without time zone, planned bigint; "values" is gone, planned character varying\(10\)\)/);
  });

  it('a table dropped or renamed is the server\'s 42P01, which no retry changes', async () => {
    await db.query('CREATE TABLE public.renamed_away (id int PRIMARY KEY)');
    const planned = withTargetColumns({ ...TABLE, columns: TABLE.columns.slice(0, 1) }, await targetColumnTypes(db, { schema: 'public', table: 'renamed_away' }));
    await db.query('ALTER TABLE public.renamed_away RENAME TO elsewhere');
    expect(await check('renamed_away', planned)).toMatch(/^other: error: relation "public.renamed_away" does not exist/);
  });

  it('checks nothing when no column was planned (a run recorded before the check, a table only read)', () => {
    expect(targetShapeCheck({ schema: 'public', table: 't' }, [])).toBeUndefined();
    expect(targetTableChanged(new Error('invalid input syntax for type integer: "12a"'), { schema: 'public', table: 't' }, 1)).toBeUndefined();
    // The check's text inside another error (a value quoted in a merge's refusal) is not the check's refusal.
    const quoted = Object.assign(new Error('value too long: "x c2y: the target table changed: y"'), { code: '22001' });
    expect(targetTableChanged(quoted, { schema: 'public', table: 't' }, 1)).toBeUndefined();
  });
});
