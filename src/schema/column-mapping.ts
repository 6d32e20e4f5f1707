import type { ScalarName } from './cql-type.js';
import { pgTypeOf } from './type-map.js';
import type { SourceColumn, SourceTable } from './source-table.js';

/** The `columns` setting: which source columns move, under which names and types, and constant columns to add. */
export interface ColumnMapping {
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** source name → target name, as pairs (a name such as `__proto__` must survive as a key). */
  readonly rename: ReadonlyArray<readonly [string, string]>;
  /** source name → target SQL type, where the type map allows it (see OVERRIDES). */
  readonly types: ReadonlyArray<readonly [string, string]>;
  /** target column → the text every row gets. */
  readonly constants: ReadonlyArray<readonly [string, string]>;
}

/** A problem with the mapping, with the config key it comes from. */
export class ColumnMappingError extends Error {
  constructor(readonly key: string, message: string, readonly hint: string) {
    super(message);
  }
}

const INTEGERS = /^(smallint|int2|integer|int|int4|bigint|int8|numeric(\(\d+\))?)$/;

/**
 * Target types a column may be given instead of c2y's own, per CQL type: ones that hold every value of the type
 * (wider integers, numeric, double for float) or that the issue's users ask for by name (varchar(n), timestamp
 * without time zone). A value such a type cannot hold (a text longer than varchar(n)) is refused row by row.
 */
const OVERRIDES: Partial<Record<ScalarName, RegExp>> = {
  text: /^(text|varchar(\(\d+\))?|character varying(\(\d+\))?)$/,
  ascii: /^(text|varchar(\(\d+\))?|character varying(\(\d+\))?)$/,
  tinyint: INTEGERS, smallint: INTEGERS,
  int: /^(integer|int|int4|bigint|int8|numeric(\(\d+\))?)$/,
  bigint: /^(bigint|int8|numeric(\(\d+\))?)$/, counter: /^(bigint|int8|numeric(\(\d+\))?)$/,
  varint: /^numeric(\(\d+\))?$/, decimal: /^numeric(\(\d+(,\s*\d+)?\))?$/,
  float: /^(real|float4|double precision|float8)$/, double: /^(double precision|float8)$/,
  timestamp: /^(timestamptz|timestamp with time zone|timestamp|timestamp without time zone)$/,
  uuid: /^(uuid|text)$/, timeuuid: /^(uuid|text)$/, inet: /^(inet|text)$/,
};

const normalType = (sql: string): string => sql.trim().toLowerCase().replace(/\s+/g, ' ');

function unknownColumn(key: string, name: string, table: SourceTable): ColumnMappingError {
  return new ColumnMappingError(key, `${key} names "${name}", which ${table.keyspace}.${table.name} does not have`, `its columns: ${table.columns.filter((c) => c.role !== 'metadata').map((c) => c.name).join(', ')}`);
}

/** The columns that move: include (all when unset) minus exclude; key columns cannot be left out. */
function selectedColumns(table: SourceTable, mapping: ColumnMapping): SourceColumn[] {
  const names = new Set(table.columns.map((column) => column.name));
  for (const [key, list] of [['columns.include', mapping.include ?? []], ['columns.exclude', mapping.exclude ?? []]] as const) {
    for (const name of list) if (!names.has(name)) throw unknownColumn(key, name, table);
  }
  const include = mapping.include === undefined ? undefined : new Set(mapping.include);
  const exclude = new Set(mapping.exclude ?? []);
  const kept = table.columns.filter((column) => (include === undefined || include.has(column.name)) && !exclude.has(column.name));
  const lostKey = table.columns.find((column) => (column.role === 'partition' || column.role === 'clustering') && !kept.includes(column));
  if (lostKey) {
    throw new ColumnMappingError(include?.has(lostKey.name) === false ? 'columns.include' : 'columns.exclude', `primary key column "${lostKey.name}" cannot be left out`, 'the target\'s primary key and c2y\'s checkpoints need every key column; rename it instead if the target calls it otherwise');
  }
  return kept;
}

function overriddenType(column: SourceColumn, sql: string): string {
  if (normalType(sql) === normalType(pgTypeOf(column.type).sql)) return pgTypeOf(column.type).sql;
  const allowed = column.type.kind === 'scalar' ? OVERRIDES[column.type.name] : undefined;
  if (allowed === undefined || !allowed.test(normalType(sql))) {
    throw new ColumnMappingError('columns.types', `"${column.name}" cannot become ${sql}: not every value of ${column.type.kind === 'scalar' ? column.type.name : column.type.kind} fits it`, `leave it as ${pgTypeOf(column.type).sql}${allowed ? `, or use one of the types matching ${allowed.source}` : ' (its type takes no override)'}`);
  }
  return sql.trim();
}

/**
 * The table as the run moves it: the selected columns, each with its target name and type, and the constant
 * columns. Every name the mapping gives is checked here, before any row moves.
 */
export function applyColumnMapping(table: SourceTable, mapping: ColumnMapping): SourceTable {
  const kept = selectedColumns(table, mapping);
  const byName = new Map(kept.map((column) => [column.name, column]));
  const renames = new Map<string, string>();
  for (const [from, to] of mapping.rename) {
    if (!byName.has(from)) throw table.columns.some((c) => c.name === from) ? new ColumnMappingError('columns.rename', `columns.rename names "${from}", which is excluded`, 'rename only columns that move') : unknownColumn('columns.rename', from, table);
    renames.set(from, to);
  }
  const types = new Map<string, string>();
  for (const [name, sql] of mapping.types) {
    const column = byName.get(name);
    if (!column) throw table.columns.some((c) => c.name === name) ? new ColumnMappingError('columns.types', `columns.types names "${name}", which is excluded`, 'give types only to columns that move') : unknownColumn('columns.types', name, table);
    types.set(name, overriddenType(column, sql));
  }
  const columns = kept.map((column): SourceColumn => ({
    ...column,
    ...(renames.has(column.name) ? { targetName: renames.get(column.name) as string } : {}),
    ...(types.has(column.name) ? { targetType: types.get(column.name) as string } : {}),
  }));
  const constants = mapping.constants.map(([name, value]) => ({ name, value }));
  const seen = new Set<string>();
  for (const name of [...columns.map(targetColumnName), ...constants.map((c) => c.name)]) {
    if (seen.has(name)) throw new ColumnMappingError(renames.size > 0 ? 'columns.rename' : 'columns.constants', `two target columns would be called "${name}"`, 'give each target column its own name (columns.rename, columns.constants)');
    seen.add(name);
  }
  for (const constant of constants) {
    if (constant.value.includes('\0')) throw new ColumnMappingError('columns.constants', `constant "${constant.name}" contains U+0000, which PostgreSQL text cannot hold`, 'remove the NUL character');
  }
  return { ...table, columns, ...(constants.length > 0 ? { constants } : {}) };
}

/** The column's name in the target (renamed or its own). */
export function targetColumnName(column: SourceColumn): string {
  return column.targetName ?? column.name;
}

/** The column's SQL type in the target (overridden or c2y's own). */
export function targetSqlType(column: SourceColumn): string {
  return column.targetType ?? pgTypeOf(column.type).sql;
}
