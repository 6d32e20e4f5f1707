import { ChunkWriter, ValueEncodeError, type RowEncoder } from '../encode/index.js';
import { isWholeRing, selects, type Split } from '../plan/index.js';
import { keyRecordText, qualifiedName, quoteIdent, rowKeyRecord, targetColumnName, type SourceTable, type TargetName } from '../schema/index.js';
import { openTarget, type TargetEndpoint } from '../sink/index.js';
import { scanRanges, type CassandraClient, type SourceSelection } from '../source/index.js';
import type { C2yConfig } from '../config/index.js';
import type { RunEvent } from '../observe/index.js';
import { keyTokenFunction } from '../digest/index.js';
import { BucketDigests, keyOf, rowShape, type RowShape } from '../digest/index.js';

/**
 * A slice of the target table that one task reads. PostgreSQL: a range of heap blocks (a TID range scan reads
 * only those pages). YugabyteDB: a range of yb_hash_code, which is how its tablets are cut.
 */
export type TargetPart =
  | { readonly id: number; readonly kind: 'blocks'; readonly fromBlock: number; readonly toBlock: number | null }
  | { readonly id: number; readonly kind: 'yb-hash'; readonly from: number; readonly to: number };

/** A row of a bucket that differs, kept for the drill-down: canonical texts, plus what repair needs. */
export interface CollectedRow {
  readonly key: string;
  readonly values: readonly string[];
  /** Source side: the row as a COPY text line, written as is by repair (absent when the target cannot hold it). */
  readonly copyLine?: string;
  /** Source side: why the row cannot be written (the reason migrate rejected it for). */
  readonly unwritable?: string;
  /** Source side: the key as c2y.rejects records it (keyRecordText), to tell a rejected row from a missing one. */
  readonly rejectKey?: string;
  /** Target side: the primary key as the target prints it, for DELETE. */
  readonly targetKey?: ReadonlyArray<string | null>;
}

/** Plain data, so it crosses IPC: bucket counts and digests (hex), and the rows of the buckets asked for. */
export interface DigestResult {
  readonly rows: number;
  readonly counts: readonly number[];
  readonly digests: readonly string[];
  readonly bytes: readonly number[];
  readonly collected: readonly CollectedRow[];
}

export interface DigestContext {
  readonly config: C2yConfig;
  readonly runId: string;
  readonly table: SourceTable;
  readonly cassandra: CassandraClient;
  readonly consistency: number;
  readonly encoder: RowEncoder;
  readonly executor: number;
  readonly emit: (event: RunEvent) => void;
  /** What of the table the run reads (source.tokenRanges, skipTokenRanges, where): validate compares only that. */
  readonly selection: SourceSelection;
}

export interface DigestRequest {
  readonly taskId: number;
  readonly buckets: number;
  /** Buckets whose rows are to be returned (the drill-down pass); empty in the first pass. */
  readonly collect: readonly number[];
  readonly signal: AbortSignal;
}

const TARGET_FETCH_ROWS = 5000;

function toResult(digests: BucketDigests, collected: CollectedRow[]): DigestResult {
  return { rows: digests.rows, counts: digests.counts, digests: digests.digests.map((d) => d.toString(16)), bytes: digests.bytes, collected };
}

/** Folds one task's result into the run's totals. */
export function mergeDigest(into: BucketDigests, result: DigestResult): void {
  into.rows += result.rows;
  for (let bucket = 0; bucket < into.buckets; bucket++) {
    into.counts[bucket] = (into.counts[bucket] ?? 0) + (result.counts[bucket] ?? 0);
    into.bytes[bucket] = (into.bytes[bucket] ?? 0) + (result.bytes[bucket] ?? 0);
    into.digests[bucket] = ((into.digests[bucket] ?? 0n) + BigInt(`0x${result.digests[bucket] ?? '0'}`)) & 0xffffffffffffffffn;
  }
}

function interruptedError(taskId: number): Error & { code: string; retryable: boolean } {
  return Object.assign(new Error(`validate task ${taskId} interrupted`), { code: 'INTERRUPTED', retryable: false });
}

/** Source side of one token split: every row's canonical form folded into buckets. */
export async function digestSourceSplit(context: DigestContext, split: Split, request: DigestRequest): Promise<DigestResult> {
  const shape = rowShape(context.table);
  const digests = new BucketDigests(request.buckets);
  const collect = new Set(request.collect);
  const collected: CollectedRow[] = [];
  const writer = new ChunkWriter(64 * 1024);
  context.emit({ type: 'split-started', splitId: request.taskId, attempt: 1, executor: context.executor, node: 'cassandra', serverAddress: 'cassandra', resumedFrom: null });
  for await (const page of scanRanges({
    client: context.cassandra, table: context.table, ranges: split.ranges, fetchSize: context.config.source.fetchSize,
    consistency: context.consistency, replicaOffset: split.id, addressMap: context.config.source.addressMap, filterCql: context.selection.filter?.cql,
  })) {
    if (request.signal.aborted) throw interruptedError(request.taskId);
    for (let rowIndex = 0; rowIndex < page.length; rowIndex++) {
      const raw = page.values(rowIndex);
      const values = shape.columns.map((column, index) => column.canonical.fromCassandra(raw[index + 1]));
      const row = { key: keyOf(shape, values), values };
      const bucket = digests.add(row);
      if (collect.has(bucket)) collected.push({ ...row, ...drillDownForm(context, raw, writer) });
    }
    context.emit({ type: 'rows-compared', splitId: request.taskId, rows: page.length, executor: context.executor });
  }
  context.emit({ type: 'split-finished', splitId: request.taskId, rows: digests.rows, executor: context.executor });
  return toResult(digests, collected);
}

/** What the drill-down keeps of a source row: its COPY line for repair, or why there is none; its reject key. */
function drillDownForm(context: DigestContext, raw: readonly unknown[], writer: ChunkWriter): Pick<CollectedRow, 'copyLine' | 'unwritable' | 'rejectKey'> {
  const rejectKey = keyRecordText(context.table, rowKeyRecord(context.table, raw));
  const clustering = context.table.columns.findIndex((column) => column.role === 'clustering');
  if (clustering >= 0 && (raw[clustering + 1] === null || raw[clustering + 1] === undefined)) {
    return { unwritable: 'the partition holds only static cells (no clustering row)', rejectKey };
  }
  try {
    context.encoder.encode(raw, writer);
    return { copyLine: writer.take().toString('utf8'), rejectKey };
  } catch (error) {
    writer.truncate(0);
    if (!(error instanceof ValueEncodeError)) throw error;
    return { unwritable: `column "${error.column}": ${error.reason}`, rejectKey };
  }
}

/** The WHERE clause of one part; YugabyteDB hashes the partition key columns, the ones c2y makes HASH. */
export function targetPartPredicate(part: TargetPart, partitionKeys: readonly string[]): string {
  if (part.kind === 'blocks') {
    const lower = `ctid >= '(${part.fromBlock},0)'::tid`;
    return part.toBlock === null ? lower : `${lower} AND ctid < '(${part.toBlock},0)'::tid`;
  }
  return `yb_hash_code(${partitionKeys.map(quoteIdent).join(', ')}) BETWEEN ${part.from} AND ${part.to}`;
}

/**
 * Whether a target row is in the run's token ranges, by its partition key's token (computed as Cassandra does);
 * every row when the run reads the whole ring. validate-table refused the run up front if the key's type has no token here.
 */
function selectedByToken(context: DigestContext, shape: RowShape): (values: readonly string[]) => boolean {
  const { tokens } = context.selection;
  if (isWholeRing(tokens)) return () => true;
  const token = keyTokenFunction(context.table);
  if (typeof token === 'string') throw new Error(token);
  const keyIndexes = context.table.partitionKeys.map((name) => shape.columns.findIndex((column) => column.name === name));
  return (values) => selects(tokens, token(keyIndexes.map((index) => values[index] ?? '')));
}

/** Target side of one part, read through a cursor so memory stays flat whatever the part's size. */
export async function digestTargetPart(context: DigestContext, endpoint: TargetEndpoint, target: TargetName, part: TargetPart, request: DigestRequest): Promise<DigestResult> {
  const shape = rowShape(context.table);
  const digests = new BucketDigests(request.buckets);
  const collect = new Set(request.collect);
  const collected: CollectedRow[] = [];
  // 'all': a part's cursor stays open, its transaction idle between fetches, while the source side is read.
  const client = await openTarget(endpoint, context.config.target, `c2y ${context.runId} part ${part.id}`, 'all');
  try {
    // Floats as exact text: PostgreSQL 12+ prints the shortest exact form whenever this is above 0, but a server set
    // to 0, and YugabyteDB (PostgreSQL 11, where the default rounds to 15 digits), would print 0.3 for 0.30000000000000004.
    await client.query('SET extra_float_digits = 3');
    context.emit({ type: 'split-started', splitId: request.taskId, attempt: 1, executor: context.executor, node: endpoint.key, serverAddress: endpoint.key, resumedFrom: null });
    const partitionKeys = context.table.columns.filter((column) => column.role === 'partition').map(targetColumnName);
    const filter = context.selection.filter;
    const where = `${targetPartPredicate(part, partitionKeys)}${filter === undefined ? '' : ` AND (${filter.sql})`}`;
    const selected = selectedByToken(context, shape);
    const select = `SELECT ${shape.columns.map((column, index) => `${column.canonical.sql} AS c${index}`).join(', ')} FROM ${qualifiedName(target)} WHERE ${where}`;
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE c2y_validate NO SCROLL CURSOR FOR ${select}`);
    for (;;) {
      if (request.signal.aborted) throw interruptedError(request.taskId);
      const batch = await client.query<Record<string, string | null>>(`FETCH ${TARGET_FETCH_ROWS} FROM c2y_validate`);
      for (const record of batch.rows) {
        const texts = shape.columns.map((_, index) => record[`c${index}`] ?? null);
        const values = shape.columns.map((column, index) => column.canonical.fromPostgres(texts[index] ?? null));
        if (!selected(values)) continue;
        const row = { key: keyOf(shape, values), values };
        if (collect.has(digests.add(row))) collected.push({ ...row, targetKey: shape.keyIndexes.map((index) => texts[index] ?? null) });
      }
      if (batch.rows.length > 0) context.emit({ type: 'rows-compared', splitId: request.taskId, rows: batch.rows.length, executor: context.executor });
      if (batch.rows.length < TARGET_FETCH_ROWS) break;
    }
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
  context.emit({ type: 'split-finished', splitId: request.taskId, rows: digests.rows, executor: context.executor });
  return toResult(digests, collected);
}
