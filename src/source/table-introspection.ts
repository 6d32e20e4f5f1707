import { C2yError } from '../errors/index.js';
import { applyColumnMapping, ColumnMappingError, fromDriverType, quoteIdent, UnsupportedTypeError, type ColumnMapping, type DriverType, type SourceColumn, type SourceTable } from '../schema/index.js';
import type { CassandraClient } from './cassandra-session.js';

interface DriverColumn { readonly name: string; readonly type: DriverType; readonly isStatic?: boolean }

export interface MetadataColumns {
  readonly writetime?: readonly string[];
  readonly ttl?: readonly string[];
}

/** Adds <column>_writetime / <column>_ttl for the chosen regular columns of scalar or frozen type. */
function metadataColumns(columns: SourceColumn[], keyspace: string, table: string, wanted: MetadataColumns): SourceColumn[] {
  const out: SourceColumn[] = [];
  const names = new Set(columns.map((c) => c.name));
  for (const [kind, list, key] of [['writetime', wanted.writetime ?? [], 'source.writetimeColumns'], ['ttl', wanted.ttl ?? [], 'source.ttlColumns']] as const) {
    for (const name of list) {
      const column = columns.find((c) => c.name === name);
      const frozenOrScalar = column && (column.type.kind === 'scalar' || column.type.kind === 'tuple' || column.type.kind === 'vector' || ('frozen' in column.type && column.type.frozen));
      if (!column || (column.role !== 'regular' && column.role !== 'static') || !frozenOrScalar || (column.type.kind === 'scalar' && column.type.name === 'counter')) {
        throw new C2yError('CONFIG_INVALID', `${key} names "${name}", which is not a regular non-counter column of ${keyspace}.${table} with a scalar or frozen type`, {
          hint: `Cassandra keeps ${kind === 'writetime' ? 'write times' : 'TTLs'} per cell only for those; choose among: ${columns.filter((c) => c.role === 'regular' || c.role === 'static').map((c) => c.name).join(', ')}`,
          context: { key },
        });
      }
      const target = `${name}_${kind}`;
      if (names.has(target)) {
        throw new C2yError('CONFIG_INVALID', `${key}: the table already has a column "${target}"`, { hint: 'drop that column from the list, or rename the source column' });
      }
      out.push({ name: target, type: { kind: 'scalar', name: kind === 'writetime' ? 'bigint' : 'int' }, role: 'metadata', select: `${kind.toUpperCase()}(${quoteIdent(name)})` });
    }
  }
  return out;
}

/** Reads the table's columns and keys, or says which keyspaces/tables do exist. */
export async function describeTable(client: CassandraClient, keyspace: string, table: string, metadata: MetadataColumns = {}): Promise<SourceTable> {
  const ks = client.metadata.keyspaces[keyspace];
  if (!ks) {
    const known = Object.keys(client.metadata.keyspaces).filter((name) => !name.startsWith('system')).sort();
    throw new C2yError('SOURCE_TABLE_NOT_FOUND', `keyspace "${keyspace}" does not exist in the source cluster`, {
      hint: `set source.keyspace to one of: ${known.join(', ') || '(no user keyspaces)'}`,
      context: { keyspace },
    });
  }
  const meta = await client.metadata.getTable(keyspace, table);
  if (!meta) {
    const tables = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace]);
    const known = tables.rows.map((row) => String(row['table_name'])).sort();
    throw new C2yError('SOURCE_TABLE_NOT_FOUND', `table "${keyspace}"."${table}" does not exist`, {
      hint: `set source.table to one of: ${known.join(', ') || '(keyspace has no tables)'}`,
      context: { keyspace, table },
    });
  }
  const partition = meta.partitionKeys.map((c) => c.name);
  const clustering = meta.clusteringKeys.map((c) => c.name);
  const order = meta.clusteringOrder as string[];
  const columns: SourceColumn[] = [];
  const add = (column: DriverColumn, role: SourceColumn['role'], sortOrder?: 'ASC' | 'DESC'): void => {
    try {
      columns.push({ name: column.name, type: fromDriverType(column.type), role, ...(sortOrder ? { order: sortOrder } : {}) });
    } catch (error) {
      if (!(error instanceof UnsupportedTypeError)) throw error;
      throw new C2yError('SOURCE_TABLE_NOT_FOUND', `column "${column.name}" of ${keyspace}.${table} has a type c2y cannot read: ${error.message}`, {
        hint: 'exclude the column or open an issue with its CQL type',
      });
    }
  };
  for (const name of partition) add(meta.columnsByName[name] as DriverColumn, 'partition');
  clustering.forEach((name, index) => add(meta.columnsByName[name] as DriverColumn, 'clustering', order[index] === 'DESC' ? 'DESC' : 'ASC'));
  for (const column of meta.columns as DriverColumn[]) {
    if (partition.includes(column.name) || clustering.includes(column.name)) continue;
    add(column, column.isStatic ? 'static' : 'regular');
  }
  columns.push(...metadataColumns(columns, keyspace, table, metadata));
  return { keyspace, name: table, columns, partitionKeys: partition, clusteringKeys: clustering };
}

/** What describeMappedTable reads of the config. */
export interface TableSettings {
  readonly source: { readonly keyspace: string; readonly table: string; readonly writetimeColumns: readonly string[]; readonly ttlColumns: readonly string[] };
  readonly columns: ColumnMapping;
}

/**
 * The table as a run moves it: introspected, then narrowed, renamed and extended by `columns` (every name checked
 * against the table before any row moves). migrate, validate, plan and schema all start here.
 */
export async function describeMappedTable(client: CassandraClient, settings: TableSettings): Promise<SourceTable> {
  const table = await describeTable(client, settings.source.keyspace, settings.source.table, { writetime: settings.source.writetimeColumns, ttl: settings.source.ttlColumns });
  try {
    return applyColumnMapping(table, settings.columns);
  } catch (error) {
    if (!(error instanceof ColumnMappingError)) throw error;
    throw new C2yError('CONFIG_INVALID', error.message, { hint: error.hint, context: { key: error.key } });
  }
}
