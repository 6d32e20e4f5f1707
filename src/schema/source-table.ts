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
  /** Its name in the target when `columns.rename` gives another. */
  readonly targetName?: string;
  /** Its target SQL type when `columns.types` overrides c2y's own. */
  readonly targetType?: string;
  /** Read and staged but never written to the target: a catch-up's MAXWRITETIME of another column. */
  readonly stagedOnly?: true;
}

/** A target column every row gets the same text in (`columns.constants`). */
export interface ConstantColumn {
  readonly name: string;
  readonly value: string;
}

/** A target column as the run was planned against it: its name, and its type as the catalog has it (OID, typmod). */
export interface PlannedTargetColumn {
  readonly name: string;
  readonly oid: number;
  readonly typmod: number;
  /** As PostgreSQL names it (format_type), for messages. */
  readonly type: string;
}

/** A Cassandra table as c2y needs it: columns in key order first, then the rest. */
export interface SourceTable {
  readonly keyspace: string;
  readonly name: string;
  readonly columns: readonly SourceColumn[];
  readonly partitionKeys: readonly string[];
  readonly clusteringKeys: readonly string[];
  /** Target columns written with one value for every row (columns.constants); none by default. */
  readonly constants?: readonly ConstantColumn[];
  /**
   * A catch-up: only rows with a cell written at or after this time (microseconds since the epoch, as Cassandra's
   * write times) are written; the stagedOnly columns carry each row's newest write times.
   */
  readonly writtenSince?: number;
  /**
   * The COPY's target columns, in its order, as the run's format and encoders were chosen against them: every commit
   * checks the target still has them (a column retyped during the run would take COPY binary's bytes as another
   * type's, or text's as another meaning). Unset: not checked (a plan from before, a table only read).
   */
  readonly targetColumns?: readonly PlannedTargetColumn[];
}

/** Double-quoted identifier with embedded quotes doubled: valid in CQL and SQL alike. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
