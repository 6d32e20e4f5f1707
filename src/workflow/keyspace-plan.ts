import type { C2yConfig, KeyspaceConfig } from '../config/index.js';
import { CodedError } from '../errors/index.js';
import { describeMappedTable, keyspaceTables, sourceSelection, type CassandraClient, type KeyspaceTables } from '../source/index.js';
import { measureTable } from './measure-table.js';
import type { TableRefusal } from './keyspace-schema.js';

export interface TablePlan {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  readonly encodedRowBytes: number;
  readonly splits: number;
  readonly sizeDetail: string;
  readonly refusal: TableRefusal | null;
}

export interface KeyspacePlan extends Omit<KeyspaceTables, 'tables'> {
  readonly tables: readonly TablePlan[];
  readonly totals: { readonly tables: number; readonly rows: number; readonly bytes: number; readonly splits: number; readonly largestRowBytes: number };
}

/** The keyspace-wide settings as one table's: what a one-table command would run with. */
export function forTable(config: KeyspaceConfig, table: string): C2yConfig {
  const { tables: _tables, excludeTables: _excluded, ...source } = config.source;
  return { ...config, source: { ...source, table } };
}

/**
 * Every chosen table measured as `c2y migrate` would measure it (measureTable), largest first: the order a keyspace
 * run would start them in. A table that cannot be described is listed with its refusal, not dropped.
 */
export async function planKeyspace(cassandra: CassandraClient, config: KeyspaceConfig): Promise<KeyspacePlan> {
  const chosen = await keyspaceTables(cassandra, config.source.keyspace, config.source);
  const tables: TablePlan[] = [];
  for (const name of chosen.tables) {
    const tableConfig = forTable(config, name);
    try {
      const table = await describeMappedTable(cassandra, tableConfig);
      const measure = await measureTable(cassandra, tableConfig, table, sourceSelection(tableConfig, table));
      const bytes = Math.round((measure.size.estimatesBytes ?? measure.size.rows * measure.averageRowBytes) * measure.share);
      tables.push({ name, rows: measure.estimatedRows, bytes, encodedRowBytes: measure.averageRowBytes, splits: measure.counts.effective, sizeDetail: measure.size.detail, refusal: null });
    } catch (error) {
      if (!(error instanceof CodedError)) throw error;
      tables.push({ name, rows: 0, bytes: 0, encodedRowBytes: 0, splits: 0, sizeDetail: '', refusal: { code: error.code, message: error.message, hint: error.hint ?? null } });
    }
  }
  tables.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const sum = (pick: (t: TablePlan) => number): number => tables.reduce((total, t) => total + pick(t), 0);
  return {
    ...chosen, tables,
    totals: { tables: tables.length, rows: sum((t) => t.rows), bytes: sum((t) => t.bytes), splits: sum((t) => t.splits), largestRowBytes: Math.max(0, ...tables.map((t) => t.encodedRowBytes)) },
  };
}
