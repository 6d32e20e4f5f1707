import { targetColumnName, targetSqlType } from './column-mapping.js';
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
  // Constant columns are text: the value is given as text, and a column of another type can be made beforehand.
  const columns = [
    ...source.columns.map((column) => `  ${quoteIdent(targetColumnName(column))} ${targetSqlType(column)}`),
    ...(source.constants ?? []).map((constant) => `  ${quoteIdent(constant.name)} text`),
  ];
  const keyName = (name: string): string => {
    const column = source.columns.find((c) => c.name === name);
    return quoteIdent(column ? targetColumnName(column) : name);
  };
  const partition = source.partitionKeys.map(keyName).join(', ');
  const clustering = source.columns.filter((c) => c.role === 'clustering');
  const key = dialect === 'yugabyte'
    ? `PRIMARY KEY ((${partition}) HASH${clustering.map((c) => `, ${quoteIdent(targetColumnName(c))} ${c.order ?? 'ASC'}`).join('')})`
    : `PRIMARY KEY (${[...source.partitionKeys, ...source.clusteringKeys].map(keyName).join(', ')})`;
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(target)} (\n${columns.join(',\n')},\n  ${key}\n)`;
}
