import { C2yError } from '../errors/index.js';
import { createTableDdl, qualifiedName, targetColumnName, targetSqlType, type SourceTable, type TargetDialect, type TargetName } from '../schema/index.js';
import { copyColumnNames } from './copy-stream.js';
import type { Queryable } from './target-client.js';

export interface TargetTableResult {
  readonly created: boolean;
  readonly ddl: string;
}

/**
 * Makes sure the target table exists and can take every source column: creates it when allowed, otherwise
 * names each column that is missing or that the target requires but the source lacks.
 */
export async function ensureTargetTable(db: Queryable, source: SourceTable, target: TargetName, dialect: TargetDialect, create: boolean): Promise<TargetTableResult> {
  const ddl = createTableDdl(source, target, dialect);
  const existing = await db.query<{ column_name: string; data_type: string; udt_name: string; is_nullable: string; column_default: string | null }>(
    `SELECT column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [target.schema, target.table],
  );
  if (existing.rows.length === 0) {
    if (!create) {
      throw new C2yError('TARGET_TABLE_MISMATCH', `target table ${qualifiedName(target)} does not exist`, {
        hint: 'create it (c2y prints the DDL with --dry-run), or set target.createTable: true',
      });
    }
    const schemas = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [target.schema]);
    if (schemas.rows.length === 0) await db.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema.replace(/"/g, '""')}"`);
    await db.query(ddl);
    return { created: true, ddl };
  }
  const targetColumns = new Map(existing.rows.map((row) => [row.column_name, row]));
  const written = [...source.columns.map((c) => ({ name: targetColumnName(c), sql: targetSqlType(c) })), ...(source.constants ?? []).map((c) => ({ name: c.name, sql: 'text' }))];
  const writtenNames = new Set(written.map((c) => c.name));
  const problems: string[] = [];
  for (const column of written) {
    if (!targetColumns.has(column.name)) problems.push(`column "${column.name}" (${column.sql}) is missing`);
  }
  for (const row of existing.rows) {
    if (!writtenNames.has(row.column_name) && row.is_nullable === 'NO' && row.column_default === null) {
      problems.push(`column "${row.column_name}" is NOT NULL without a default and has no source column`);
    }
  }
  if (problems.length > 0) {
    throw new C2yError('TARGET_TABLE_MISMATCH', `target table ${qualifiedName(target)} does not fit the source ${source.keyspace}.${source.name}: ${problems.join('; ')}`, {
      hint: `add the columns, point target.table at another table, or drop it and let c2y create:\n${ddl}`,
    });
  }
  return { created: false, ddl };
}

/**
 * Each target column's type OID, by name: COPY binary must send exactly the column's binary form, so the format is
 * chosen from these (a domain or another type than c2y would create keeps the run on text).
 */
export async function targetColumnTypes(db: Queryable, target: TargetName): Promise<Map<string, TargetColumnType>> {
  const result = await db.query<{ attname: string; oid: number; typmod: number; type: string }>(
    'SELECT attname, atttypid::int AS oid, atttypmod AS typmod, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
    [qualifiedName(target)],
  );
  return new Map(result.rows.map((row) => [row.attname, { oid: Number(row.oid), typmod: Number(row.typmod), type: row.type }]));
}

/** The table with the COPY's target columns as found (see SourceTable.targetColumns); a column not found is left out. */
export function withTargetColumns(table: SourceTable, types: ReadonlyMap<string, TargetColumnType>): SourceTable {
  const targetColumns = copyColumnNames(table).flatMap((name) => {
    const found = types.get(name);
    return found === undefined ? [] : [{ name, oid: found.oid, typmod: found.typmod, type: found.type }];
  });
  return { ...table, targetColumns };
}

export interface TargetColumnType {
  readonly oid: number;
  /** The column's type modifier (a varchar's length, a numeric's precision and scale); -1 for none. */
  readonly typmod: number;
  /** As PostgreSQL names it (format_type), for messages. */
  readonly type: string;
}
