import type { C2yConfig } from '../config/index.js';
import { ChunkWriter, createRowEncoder } from '../encode/index.js';
import { cutSplits } from '../plan/index.js';
import { qualifiedName, type SourceTable, type TargetName } from '../schema/index.js';
import { CopyIn, copyStatement, type TargetClient } from '../sink/index.js';
import { consistencyCode, readRing, scanRanges, type CassandraClient, type ScannedRow } from '../source/index.js';
import { BucketDigests, keyOf, rowShape, type CanonicalRow, type RowShape } from './row-digest.js';

export interface RowDifference {
  readonly kind: 'missing' | 'extra' | 'different';
  /** Primary key column → canonical text. */
  readonly key: Readonly<Record<string, string>>;
  /** For `different`: each column whose values differ. */
  readonly columns?: ReadonlyArray<{ readonly column: string; readonly source: string; readonly target: string }>;
}

export interface ValidateResult {
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly buckets: number;
  readonly differingBuckets: number;
  readonly differences: readonly RowDifference[];
}

export interface ValidateInput {
  readonly config: C2yConfig;
  readonly cassandra: CassandraClient;
  readonly target: TargetClient;
  readonly table: SourceTable;
  readonly targetName: TargetName;
  readonly buckets: number;
  readonly onProgress?: (phase: string, rows: number) => void;
}

interface SourceRow extends CanonicalRow { readonly raw: ScannedRow }
interface TargetRow extends CanonicalRow { readonly rawKey: readonly (string | null)[] }

/** Every source row once, in token order per split, splits read `cores` at a time. */
async function forEachSourceRow(input: ValidateInput, shape: RowShape, visit: (row: SourceRow) => void): Promise<void> {
  const splits = cutSplits(readRing(input.cassandra, input.table.keyspace), Math.max(1, input.config.parallelism));
  const queue = [...splits];
  let seen = 0;
  const worker = async (): Promise<void> => {
    for (let split = queue.shift(); split; split = queue.shift()) {
      for await (const page of scanRanges({
        client: input.cassandra, table: input.table, ranges: split.ranges, fetchSize: input.config.source.fetchSize,
        consistency: consistencyCode(input.config.source.consistency), replicaOffset: split.id,
      })) {
        for (const raw of page) {
          const values = shape.columns.map((column, index) => column.canonical.fromCassandra(raw[index + 1]));
          visit({ key: keyOf(shape, values), values, raw });
        }
        seen += page.length;
        input.onProgress?.('source', seen);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.config.cores, splits.length)) }, worker));
}

/** Every target row once, through a cursor so memory stays flat. */
async function forEachTargetRow(input: ValidateInput, shape: RowShape, visit: (row: TargetRow) => void): Promise<void> {
  const select = `SELECT ${shape.columns.map((column, index) => `${column.canonical.sql} AS c${index}`).join(', ')} FROM ${qualifiedName(input.targetName)}`;
  await input.target.query('BEGIN READ ONLY');
  try {
    await input.target.query(`DECLARE c2y_validate NO SCROLL CURSOR FOR ${select}`);
    let seen = 0;
    for (;;) {
      const batch = await input.target.query<Record<string, string | null>>('FETCH 5000 FROM c2y_validate');
      for (const record of batch.rows) {
        const texts = shape.columns.map((_, index) => record[`c${index}`] ?? null);
        const values = shape.columns.map((column, index) => column.canonical.fromPostgres(texts[index] ?? null));
        visit({ key: keyOf(shape, values), values, rawKey: shape.keyIndexes.map((index) => texts[index] ?? null) });
      }
      seen += batch.rows.length;
      input.onProgress?.('target', seen);
      if (batch.rows.length === 0) break;
    }
  } finally {
    await input.target.query('COMMIT');
  }
}

function keyRecord(shape: RowShape, values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const index of shape.keyIndexes) out[(shape.columns[index] as { name: string }).name] = values[index] as string;
  return out;
}

/**
 * Pass 1: per bucket of the canonical key's hash, count and digest on both sides. Pass 2, only when some
 * bucket differs: collect those buckets' rows on both sides and name each missing, extra or different key.
 * PostgreSQL cannot compute Cassandra tokens, so buckets of the key's hash stand in for token splits.
 */
export async function validateTable(input: ValidateInput): Promise<ValidateResult & { sourceRowsByKey: Map<string, SourceRow>; targetRowsByKey: Map<string, TargetRow> }> {
  const shape = rowShape(input.table);
  const source = new BucketDigests(input.buckets);
  const target = new BucketDigests(input.buckets);
  await forEachSourceRow(input, shape, (row) => source.add(row));
  await forEachTargetRow(input, shape, (row) => target.add(row));
  const bad = new Set(source.differingBuckets(target));
  const sourceRowsByKey = new Map<string, SourceRow>();
  const targetRowsByKey = new Map<string, TargetRow>();
  const differences: RowDifference[] = [];
  if (bad.size > 0) {
    await forEachSourceRow(input, shape, (row) => {
      if (bad.has(BucketDigests.bucketOf(row.key, input.buckets))) sourceRowsByKey.set(row.key, row);
    });
    await forEachTargetRow(input, shape, (row) => {
      if (bad.has(BucketDigests.bucketOf(row.key, input.buckets))) targetRowsByKey.set(row.key, row);
    });
    for (const [key, row] of sourceRowsByKey) {
      const other = targetRowsByKey.get(key);
      if (!other) {
        differences.push({ kind: 'missing', key: keyRecord(shape, row.values) });
        continue;
      }
      const columns = shape.columns
        .map((column, index) => ({ column: column.name, source: row.values[index] as string, target: other.values[index] as string }))
        .filter((c) => c.source !== c.target);
      if (columns.length > 0) differences.push({ kind: 'different', key: keyRecord(shape, row.values), columns });
    }
    for (const [key, row] of targetRowsByKey) {
      if (!sourceRowsByKey.has(key)) differences.push({ kind: 'extra', key: keyRecord(shape, row.values) });
    }
  }
  return { sourceRows: source.rows, targetRows: target.rows, buckets: input.buckets, differingBuckets: bad.size, differences, sourceRowsByKey, targetRowsByKey };
}

/**
 * Writes the missing and different rows from the source and deletes the extra ones, in one transaction:
 * a failed repair changes nothing.
 */
export async function repairDifferences(input: ValidateInput, found: Awaited<ReturnType<typeof validateTable>>): Promise<number> {
  const shape = rowShape(input.table);
  const keySql = shape.keyIndexes.map((index) => (shape.columns[index] as RowShape['columns'][number]).canonical.sql);
  const toDelete: Array<readonly (string | null)[]> = [];
  const toWrite: ScannedRow[] = [];
  for (const difference of found.differences) {
    const key = shape.keyIndexes.map((index) => difference.key[(shape.columns[index] as { name: string }).name]).join('\u001f');
    if (difference.kind !== 'missing') toDelete.push((found.targetRowsByKey.get(key) as TargetRow).rawKey);
    if (difference.kind !== 'extra') toWrite.push((found.sourceRowsByKey.get(key) as SourceRow).raw);
  }
  await input.target.query('BEGIN');
  try {
    for (const rawKey of toDelete) {
      await input.target.query(`DELETE FROM ${qualifiedName(input.targetName)} WHERE ${keySql.map((sql, i) => `${sql} = $${i + 1}`).join(' AND ')}`, [...rawKey]);
    }
    if (toWrite.length > 0) {
      const encoder = createRowEncoder(input.table);
      const writer = new ChunkWriter();
      for (const row of toWrite) encoder.encode(row, writer);
      const copy = CopyIn.start(input.target, copyStatement(input.table, input.targetName));
      await copy.write(writer.take());
      await copy.finish();
    }
    await input.target.query('COMMIT');
  } catch (error) {
    await input.target.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return toDelete.length + toWrite.length;
}
