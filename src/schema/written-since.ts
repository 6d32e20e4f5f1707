import { quoteIdent, type SourceColumn, type SourceTable } from './source-table.js';

/** The staged-only columns of a catch-up are named so: c2y_written_0, c2y_written_1, … */
const WRITTEN_PREFIX = 'c2y_written_';

/**
 * The table a catch-up reads: every column as before, then the newest write time (MAXWRITETIME, Cassandra 5.0) of
 * each regular and static column that has one (counters have none), staged but never written to the target. A row
 * whose newest write time is before `sinceMicros` is left out; a row with no such cell (every one null) is written.
 */
export function withWrittenSince(table: SourceTable, sinceMicros: number): SourceTable {
  const timed = table.columns.filter((column) => (column.role === 'regular' || column.role === 'static') && !(column.type.kind === 'scalar' && column.type.name === 'counter'));
  const prefix = unusedPrefix(table);
  const stamps: SourceColumn[] = timed.map((column, index) => ({
    name: `${prefix}${index}`, type: { kind: 'scalar', name: 'bigint' }, role: 'metadata', select: `MAXWRITETIME(${quoteIdent(column.name)})`, stagedOnly: true,
  }));
  return { ...table, columns: [...table.columns, ...stamps], writtenSince: Math.trunc(sinceMicros) };
}

/** The prefix, lengthened until no column of the table (by either name) starts with it: a table may hold c2y_written_0. */
function unusedPrefix(table: SourceTable): string {
  const names = [...table.columns.flatMap((column) => [column.name, column.targetName ?? column.name]), ...(table.constants ?? []).map((constant) => constant.name)];
  let prefix = WRITTEN_PREFIX;
  while (names.some((name) => name.startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}

/** The table's columns that reach the target (all but a catch-up's write times). */
export function writtenToTarget(table: SourceTable): readonly SourceColumn[] {
  return table.columns.filter((column) => column.stagedOnly !== true);
}

/** Indexes (0-based, in table order) of the staged-only write-time columns. */
export function writtenSinceColumns(table: SourceTable): number[] {
  return table.columns.flatMap((column, index) => (column.stagedOnly === true ? [index] : []));
}
