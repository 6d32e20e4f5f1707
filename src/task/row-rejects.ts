import type { ValueEncodeError } from '../encode/index.js';
import { canonicalValue, ownRecord, rowKeyRecord, targetColumnName, type SourceTable } from '../schema/index.js';
import type { RejectedRow } from '../sink/index.js';

export const STATIC_ONLY_REASON = 'the partition holds only static cells (no clustering row); a PostgreSQL primary key cannot hold a row without its clustering values';

/** A partition with only static cells, as c2y.rejects records it: its key and its static cells. */
export function staticOnlyReject(table: SourceTable, splitId: number, token: bigint, row: readonly unknown[]): RejectedRow {
  const statics = ownRecord<string>();
  table.columns.forEach((column, index) => {
    if (column.role === 'static') statics[column.name] = canonicalValue(row[index + 1]);
  });
  const clustering = table.columns.find((column) => column.role === 'clustering') as SourceTable['columns'][number];
  return { splitId, token: token.toString(), key: rowKeyRecord(table, row), column: clustering.name, reason: STATIC_ONLY_REASON, raw: JSON.stringify(statics).slice(0, 10_000), kind: 'static-only' };
}

/** A value the target cannot hold, as c2y.rejects records it. */
export function rejectOf(error: ValueEncodeError, table: SourceTable, splitId: number, token: bigint, row: readonly unknown[]): RejectedRow {
  // The encoder names the source column; PostgreSQL the target's (renamed by columns.rename).
  const index = table.columns.findIndex((column) => column.name === error.column || targetColumnName(column) === error.column);
  return { splitId, token: token.toString(), key: rowKeyRecord(table, row), column: error.column, reason: error.reason, raw: canonicalValue(row[index + 1]).slice(0, 1000), kind: 'value' };
}

