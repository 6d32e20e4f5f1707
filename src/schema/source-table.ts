import type { CqlType } from './cql-type.js';

/** `metadata`: a WRITETIME()/TTL() of another column, kept on request. */
export type ColumnRole = 'partition' | 'clustering' | 'static' | 'regular' | 'metadata';

export interface SourceColumn {
  readonly name: string;
  readonly type: CqlType;
  readonly role: ColumnRole;
  /** Clustering order for clustering columns. */
  readonly order?: 'ASC' | 'DESC';
  /** The CQL that reads it when it is not the column itself, e.g. WRITETIME("v"). */
  readonly select?: string;
}

/** A Cassandra table as c2y needs it: columns in key order first, then the rest. */
export interface SourceTable {
  readonly keyspace: string;
  readonly name: string;
  readonly columns: readonly SourceColumn[];
  readonly partitionKeys: readonly string[];
  readonly clusteringKeys: readonly string[];
}

/** Double-quoted identifier with embedded quotes doubled: valid in CQL and SQL alike. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
