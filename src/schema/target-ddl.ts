import { pgTypeOf } from './type-map.js';
import { quoteIdent, type SourceTable } from './source-table.js';

export type TargetDialect = 'postgres' | 'yugabyte';

export interface TargetName {
  readonly schema: string;
  readonly table: string;
}

export function qualifiedName(target: TargetName): string {
  return `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
}

/**
 * CREATE TABLE for the source table. YugabyteDB shards by a hash of the partition key and keeps clustering
 * order (as Cassandra does); PostgreSQL gets an ordinary primary key over the same columns.
 */
export function createTableDdl(source: SourceTable, target: TargetName, dialect: TargetDialect): string {
  const columns = source.columns.map((column) => `  ${quoteIdent(column.name)} ${pgTypeOf(column.type).sql}`);
  const partition = source.partitionKeys.map(quoteIdent).join(', ');
  const clustering = source.columns.filter((c) => c.role === 'clustering');
  const key = dialect === 'yugabyte'
    ? `PRIMARY KEY ((${partition}) HASH${clustering.map((c) => `, ${quoteIdent(c.name)} ${c.order ?? 'ASC'}`).join('')})`
    : `PRIMARY KEY (${[...source.partitionKeys, ...source.clusteringKeys].map(quoteIdent).join(', ')})`;
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(target)} (\n${columns.join(',\n')},\n  ${key}\n)`;
}
