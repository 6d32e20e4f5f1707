import { createHash } from 'node:crypto';
import { pgTypeOf, quoteIdent, targetColumnName, type SourceColumn, type SourceTable } from '../schema/index.js';
import { canonicalColumn, NULL, type CanonicalColumn } from './canonical-column.js';

const SEP = '\u001f';

/** How one table's rows become (key, per-column canonical texts) on either side. */
export interface RowShape {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly canonical: CanonicalColumn; readonly isKey: boolean }>;
  readonly keyIndexes: readonly number[];
}

/**
 * The target column as SQL, read as the type c2y would have made it: a column given another type (columns.types)
 * is cast back, so the canonical text is the same; timestamp without time zone is not (its epoch is already UTC's).
 */
function targetColumnSql(column: SourceColumn): string {
  const name = quoteIdent(targetColumnName(column));
  if (column.targetType === undefined) return name;
  const own = pgTypeOf(column.type).sql;
  return own === 'timestamptz' ? name : `(${name})::${own}`;
}

export function rowShape(table: SourceTable): RowShape {
  const columns = table.columns.map((column) => ({
    name: column.name,
    canonical: column.role === 'metadata' && column.select?.startsWith('TTL(') === true ? ttlPresence(quoteIdent(targetColumnName(column))) : canonicalColumn(column.name, column.type, targetColumnSql(column)),
    isKey: column.role === 'partition' || column.role === 'clustering',
  }));
  return { columns, keyIndexes: columns.flatMap((column, index) => (column.isKey ? [index] : [])) };
}

/**
 * A `<column>_ttl` column (source.ttlColumns) holds the seconds left when the row was copied; Cassandra's count keeps
 * going down while the target's stays. Validate compares whether a TTL is set, not how much of it is left.
 */
function ttlPresence(column: string): CanonicalColumn {
  return {
    sql: `CASE WHEN ${column} IS NULL THEN NULL ELSE 'ttl' END`,
    fromPostgres: (text) => (text === null ? NULL : 'ttl'),
    fromCassandra: (value) => (value === null || value === undefined ? NULL : 'ttl'),
  };
}

export interface CanonicalRow {
  readonly key: string;
  readonly values: readonly string[];
}

export function keyOf(shape: RowShape, values: readonly string[]): string {
  return shape.keyIndexes.map((index) => values[index]).join(SEP);
}

/** 64 bits of SHA-1: a row digest that a sum can fold without collisions mattering in practice. */
export function hash64(text: string): bigint {
  return createHash('sha1').update(text).digest().readBigUInt64BE(0);
}

/** Counts and order-independent digests per bucket of the canonical key's hash. */
export class BucketDigests {
  readonly counts: number[];
  readonly digests: bigint[];
  /** Characters of canonical text per bucket: what the drill-down of that bucket will hold. */
  readonly bytes: number[];
  rows = 0;

  constructor(readonly buckets: number) {
    this.counts = new Array<number>(buckets).fill(0);
    this.digests = new Array<bigint>(buckets).fill(0n);
    this.bytes = new Array<number>(buckets).fill(0);
  }

  static bucketOf(key: string, buckets: number): number {
    return Number(hash64(key) % BigInt(buckets));
  }

  /** Folds the row in; returns its bucket. */
  add(row: CanonicalRow): number {
    const bucket = BucketDigests.bucketOf(row.key, this.buckets);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    const text = row.values.join(SEP);
    this.digests[bucket] = ((this.digests[bucket] ?? 0n) + hash64(text)) & 0xffffffffffffffffn;
    this.bytes[bucket] = (this.bytes[bucket] ?? 0) + text.length + row.key.length;
    this.rows++;
    return bucket;
  }

  /** Buckets where the two sides differ in count or digest. */
  differingBuckets(other: BucketDigests): number[] {
    const out: number[] = [];
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      if (this.counts[bucket] !== other.counts[bucket] || this.digests[bucket] !== other.digests[bucket]) out.push(bucket);
    }
    return out;
  }
}
