import type { KeyspaceConfig } from '../config/index.js';
import { C2yError, CodedError, messageOf } from '../errors/index.js';
import { createTableDdl, qualifiedName, quoteIdent, targetColumnName, type SourceTable, type TargetDialect, type TargetName } from '../schema/index.js';
import { ensureTargetTable, targetNameOf, type Queryable } from '../sink/index.js';
import { describeMappedTable, keyspaceTables, type CassandraClient, type KeyspaceTables, type SourceIndex } from '../source/index.js';

/** Why a table cannot be moved as it is, in the words the one-table command would use. */
export interface TableRefusal {
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
}

export interface TableSchema {
  /** The source table's name (case kept: quoted CQL names are case-sensitive). */
  readonly name: string;
  readonly target: TargetName;
  /** Present when the table can be moved. */
  readonly ddl: string | null;
  readonly refusal: TableRefusal | null;
  /** The introspected table (for --apply); absent when refused. */
  readonly table?: SourceTable;
}

/** A source index as the target would have it: DDL to run once the table's rows are in, or why there is none. */
export interface IndexPlan {
  readonly table: string;
  readonly name: string;
  readonly source: string;
  readonly ddl: string | null;
  readonly reason: string;
}

export interface KeyspaceSchema extends Omit<KeyspaceTables, 'tables' | 'indexes'> {
  readonly dialect: TargetDialect;
  readonly tables: readonly TableSchema[];
  readonly indexes: readonly IndexPlan[];
}

/** A CQL index target naming one column: `v`, or `"Mixed Case"` with quotes doubled inside. */
function plainColumnOf(target: string): string | undefined {
  if (/^[A-Za-z0-9_]+$/.test(target)) return target;
  const quoted = /^"((?:[^"]|"")+)"$/.exec(target);
  return quoted ? (quoted[1] as string).replace(/""/g, '"') : undefined;
}

/**
 * The target index for a source index: a B-tree on the column for a 2i or SAI on a plain column (both answer
 * equality on it). Indexes on a collection's values, keys or entries have no like-for-like equivalent on the
 * arrays and jsonb c2y writes, and are listed with why. Built after the rows are in: an index slows every COPY.
 */
function indexPlan(index: SourceIndex, entry: TableSchema | undefined): IndexPlan {
  const base = { table: index.table, name: index.name, source: `${index.kind}${index.className ? ` ${index.className.split('.').pop() ?? ''}` : ''} on ${index.target}` };
  if (!entry?.table) return { ...base, ddl: null, reason: 'its table cannot be moved' };
  const columnName = plainColumnOf(index.target);
  const column = columnName === undefined ? undefined : entry.table.columns.find((c) => c.name === columnName);
  if (!column) return { ...base, ddl: null, reason: `${index.target} is not a plain column: no like-for-like index on the target; create one by hand (e.g. GIN on the array or jsonb column)` };
  return { ...base, ddl: `CREATE INDEX IF NOT EXISTS ${quoteIdent(index.name)} ON ${qualifiedName(entry.target)} (${quoteIdent(targetColumnName(column))})`, reason: 'run after the table\'s rows are in (an index slows every COPY)' };
}

/** Settings that name one table's columns or target: meaningless for every table at once, so refused. */
function oneTableSettings(config: KeyspaceConfig): string[] {
  const c = config.columns;
  return [
    ...(config.target.table !== undefined ? ['target.table'] : []),
    ...(config.source.writetimeColumns.length > 0 ? ['source.writetimeColumns'] : []),
    ...(config.source.ttlColumns.length > 0 ? ['source.ttlColumns'] : []),
    ...(c.include !== undefined || c.exclude !== undefined || c.rename.length > 0 || c.types.length > 0 || c.constants.length > 0 ? ['columns'] : []),
  ];
}

/**
 * Every chosen table of the keyspace introspected and its target DDL written, with every refusal (a type with no
 * mapping, a name the target cannot take) collected instead of stopping at the first, so the user fixes all at once.
 */
export async function keyspaceSchema(cassandra: CassandraClient, config: KeyspaceConfig, dialect: TargetDialect): Promise<KeyspaceSchema> {
  const refused = oneTableSettings(config);
  if (refused.length > 0) {
    throw new C2yError('CONFIG_INVALID', `${refused.join(', ')} describe${refused.length === 1 ? 's' : ''} one table, but no source.table is given: it would apply to every table of ${config.source.keyspace}`, {
      hint: 'give --table for one table, or remove those settings for the whole keyspace', context: { key: refused[0] ?? '' },
    });
  }
  const chosen = await keyspaceTables(cassandra, config.source.keyspace, config.source);
  const tables: TableSchema[] = [];
  for (const name of chosen.tables) {
    const target = targetNameOf(config.target, name);
    try {
      const table = await describeMappedTable(cassandra, { source: { ...config.source, table: name }, columns: config.columns });
      tables.push({ name, target, ddl: createTableDdl(table, target, dialect), refusal: null, table });
    } catch (error) {
      tables.push({ name, target, ddl: null, refusal: refusalOf(error) });
    }
  }
  return { ...chosen, dialect, tables, indexes: chosen.indexes.map((index) => indexPlan(index, tables.find((t) => t.name === index.table))) };
}

function refusalOf(error: unknown): TableRefusal {
  if (error instanceof CodedError) return { code: error.code, message: error.message, hint: error.hint ?? null };
  throw error;
}

/** Each movable table created on the target (or found fitting); a table that exists but does not fit is refused. */
export async function applyKeyspaceSchema(db: Queryable, schema: KeyspaceSchema): Promise<Array<{ readonly name: string; readonly created: boolean; readonly refusal: TableRefusal | null }>> {
  const results = [];
  for (const entry of schema.tables) {
    if (!entry.table) continue;
    try {
      const result = await ensureTargetTable(db, entry.table, entry.target, schema.dialect, true);
      results.push({ name: entry.name, created: result.created, refusal: null });
    } catch (error) {
      results.push({ name: entry.name, created: false, refusal: error instanceof CodedError ? refusalOf(error) : { code: 'TARGET_WRITE_FAILED', message: messageOf(error), hint: null } });
    }
  }
  return results;
}
