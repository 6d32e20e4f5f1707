import type { C2yConfig } from '../config/index.js';
import { ChunkWriter, ValueEncodeError, type RowEncoder } from '../encode/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { rangeAfter, type ReplicatedRange, type Split } from '../plan/index.js';
import { canonicalValue, type SourceTable } from '../schema/index.js';
import { CheckpointStore, CopyIn, copyFailed, describeServer, openTarget, type RejectedRow, type TargetEndpoint } from '../sink/index.js';
import { scanRanges, type CassandraClient } from '../source/index.js';
import type { RunEvent } from '../observe/index.js';

/** What every task of an executor shares: one Cassandra session, the table, the encoder. */
export interface TaskContext {
  readonly config: C2yConfig;
  readonly runId: string;
  readonly table: SourceTable;
  readonly cassandra: CassandraClient;
  readonly consistency: number;
  readonly encoder: RowEncoder;
  readonly store: CheckpointStore;
  readonly copySql: string;
  readonly executor: number;
  readonly emit: (event: RunEvent) => void;
}

export interface SplitTaskInput {
  readonly split: Split;
  readonly attempt: number;
  readonly endpoint: TargetEndpoint;
  readonly signal: AbortSignal;
}

/** Bytes gathered before a write to the COPY stream: large enough to amortise the syscall, small against memory. */
const CHUNK_BYTES = 256 * 1024;

/** Rows per page: two pages (current + prefetched) must fit in copyBufferSize, the task's memory bound. */
export function effectiveFetchSize(config: C2yConfig): number {
  return Math.max(1, Math.min(config.source.fetchSize, Math.floor(config.copyBufferSize / 2)));
}

/**
 * One split → one connection → one COPY stream at a time. Every ~copyFlushEvery rows, at a token boundary (so at
 * a partition boundary), the COPY ends and the split's checkpoint is advanced in the same transaction.
 */
export async function runSplitTask(context: TaskContext, input: SplitTaskInput): Promise<number> {
  const { split, endpoint, signal } = input;
  const { store, runId } = context;
  const client = await openTarget(endpoint, context.config.target, `c2y ${runId} split ${split.id}`);
  let copy: CopyIn | undefined;
  let inTransaction = false;
  try {
    const server = await describeServer(client);
    // YugabyteDB's COPY commits every 20,000 rows on its own; 0 keeps each batch in the transaction that also
    // advances the checkpoint, so exactly-once holds there as on PostgreSQL.
    if (server.dialect === 'yugabyte') await client.query('SET yb_default_copy_from_rows_per_transaction = 0');
    const checkpoint = await store.readCheckpoint(client, runId, split.id);
    if (checkpoint.done) {
      context.emit({ type: 'split-finished', splitId: split.id, rows: 0, executor: context.executor });
      return 0;
    }
    context.emit({ type: 'split-started', splitId: split.id, attempt: input.attempt, executor: context.executor, node: endpoint.key, serverAddress: server.serverAddress, resumedFrom: checkpoint.lastToken?.toString() ?? null });

    const writer = new ChunkWriter();
    const flushEvery = context.config.copyFlushEvery;
    let from = checkpoint.lastToken;
    let lastToken: bigint | null = checkpoint.lastToken;
    let rowsInTransaction = 0;
    let rowsSinceReport = 0;
    const rejected: RejectedRow[] = [];
    const rejectRows = context.config.onError === 'reject';
    let bytesInTransaction = 0;
    let total = 0;

    const begin = async (): Promise<void> => {
      await client.query('BEGIN');
      inTransaction = true;
      copy = CopyIn.start(client, context.copySql);
    };
    const commit = async (done: boolean): Promise<void> => {
      if (!inTransaction) {
        await client.query('BEGIN');
        inTransaction = true;
      }
      if (copy) {
        if (writer.length > 0) {
          bytesInTransaction += writer.length;
          await copy.write(writer.take());
        }
        await copy.finish();
        copy = undefined;
      }
      await store.recordRejects(client, runId, rejected);
      const advanced = await store.advance(client, { runId, splitId: split.id, from, to: lastToken, rows: rowsInTransaction, done });
      if (!advanced) {
        throw new C2yError('SPLITS_FAILED', `split ${split.id} was advanced by another attempt; this attempt rolls back`, { retryable: true, context: { split: split.id } });
      }
      await client.query('COMMIT');
      inTransaction = false;
      total += rowsInTransaction;
      context.emit({ type: 'batch-committed', splitId: split.id, rows: rowsInTransaction, bytes: bytesInTransaction, rejected: rejected.length, lastToken: lastToken?.toString() ?? null, executor: context.executor });
      rejected.length = 0;
      from = lastToken;
      rowsInTransaction = 0;
      rowsSinceReport = 0;
      bytesInTransaction = 0;
    };

    // Rows PostgreSQL refused although the encoder passed them: index among the transaction's scanned rows → reason.
    const refused = new Map<number, { column: string; reason: string }>();
    let rowIndex = 0;
    let lineToRow: number[] = [];
    let streamedInTransaction = 0;
    for (;;) {
      try {
        const scan = scanRanges({
          client: context.cassandra, table: context.table, ranges: remainingRanges(split, from), fetchSize: effectiveFetchSize(context.config),
          consistency: context.consistency, replicaOffset: split.id + input.attempt, addressMap: context.config.source.addressMap,
        });
        for await (const page of scan) {
          if (signal.aborted) throw interrupted(split.id);
          for (const row of page) {
            const token = row[0] as bigint;
            if (rowsInTransaction + rejected.length >= flushEvery && token !== lastToken) {
              await commit(false);
              refused.clear();
              rowIndex = 0;
              lineToRow = [];
              streamedInTransaction = 0;
            }
            if (!inTransaction) await begin();
            const index = rowIndex++;
            const refusal = refused.size === 0 ? undefined : refused.get(index);
            if (refusal !== undefined) {
              const error = new ValueEncodeError(refusal.column, refusal.reason);
              if (!rejectRows) throw valueError(error, context.table, row);
              rejected.push(rejectOf(error, context.table, split.id, token, row));
              lastToken = token;
              continue;
            }
            const rowStart = writer.length;
            try {
              context.encoder.encode(row, writer);
            } catch (error) {
              if (!(error instanceof ValueEncodeError) || !rejectRows) throw valueError(error, context.table, row);
              writer.truncate(rowStart);
              rejected.push(rejectOf(error, context.table, split.id, token, row));
              lastToken = token;
              continue;
            }
            lineToRow.push(index);
            rowsInTransaction++;
            lastToken = token;
            rowsSinceReport++;
            if (writer.length >= CHUNK_BYTES) {
              bytesInTransaction += writer.length;
              await (copy as CopyIn).write(writer.take());
              context.emit({ type: 'rows-streamed', splitId: split.id, rows: rowsSinceReport, executor: context.executor });
              streamedInTransaction += rowsSinceReport;
              rowsSinceReport = 0;
            }
          }
        }
        if (signal.aborted) throw interrupted(split.id);
        await commit(true);
        break;
      } catch (error) {
        const line = refusedLine(error);
        const rowOfLine = line === undefined ? undefined : lineToRow[line.line - 1];
        if (line === undefined || rowOfLine === undefined || signal.aborted) throw error;
        // PostgreSQL named the bad line: roll back, and rescan the transaction from its start with that row set aside.
        if (copy) await (copy as CopyIn).abort('c2y: isolating a refused row');
        copy = undefined;
        await client.query('ROLLBACK');
        inTransaction = false;
        refused.set(rowOfLine, { column: line.column, reason: `PostgreSQL refused it: ${line.message}` });
        if (streamedInTransaction > 0) context.emit({ type: 'rows-streamed', splitId: split.id, rows: -streamedInTransaction, executor: context.executor });
        writer.truncate(0);
        lastToken = from;
        rowsInTransaction = 0;
        rowsSinceReport = 0;
        bytesInTransaction = 0;
        rejected.length = 0;
        rowIndex = 0;
        lineToRow = [];
        streamedInTransaction = 0;
      }
    }
    context.emit({ type: 'split-finished', splitId: split.id, rows: total, executor: context.executor });
    return total;
  } catch (error) {
    if (copy) await (copy as CopyIn).abort(signal.aborted ? 'c2y: interrupted' : `c2y: ${messageOf(error)}`);
    if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof C2yError) throw error;
    throw copyFailed(error, { split: split.id, node: endpoint.key });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The split's ranges after the last committed token. */
export function remainingRanges(split: Split, lastToken: bigint | null): ReplicatedRange[] {
  if (lastToken === null) return [...split.ranges];
  const out: ReplicatedRange[] = [];
  for (const range of split.ranges) {
    const rest = rangeAfter(range, lastToken);
    if (rest) out.push({ ...rest, replicas: range.replicas });
  }
  return out;
}

/** A COPY error about one value (SQLSTATE class 22): the line PostgreSQL names, its column and message. */
export function refusedLine(error: unknown): { line: number; column: string; message: string } | undefined {
  const pgError = error as { code?: unknown; where?: unknown; message?: unknown };
  if (typeof pgError.code !== 'string' || !pgError.code.startsWith('22') || typeof pgError.where !== 'string') return undefined;
  const match = /line (\d+)(?:, column ([^:]+))?/.exec(pgError.where);
  if (!match) return undefined;
  return { line: Number(match[1]), column: match[2] ?? '(row)', message: String(pgError.message) };
}

function interrupted(splitId: number): C2yError {
  return new C2yError('INTERRUPTED', `split ${splitId} interrupted; its open transaction was rolled back`, { context: { split: splitId } });
}

/** The row's primary key as column → canonical text. */
function rowKey(table: SourceTable, row: readonly unknown[]): Record<string, string> {
  const key: Record<string, string> = {};
  table.columns.forEach((column, index) => {
    if (column.role === 'partition' || column.role === 'clustering') key[column.name] = canonicalValue(row[index + 1]);
  });
  return key;
}

function rejectOf(error: ValueEncodeError, table: SourceTable, splitId: number, token: bigint, row: readonly unknown[]): RejectedRow {
  const index = table.columns.findIndex((column) => column.name === error.column);
  return { splitId, token: token.toString(), key: rowKey(table, row), column: error.column, reason: error.reason, raw: canonicalValue(row[index + 1]).slice(0, 1000) };
}

function valueError(error: unknown, table: SourceTable, row: readonly unknown[]): C2yError {
  if (!(error instanceof ValueEncodeError)) return copyFailed(error, {});
  const key = Object.entries(rowKey(table, row)).map(([name, value]) => `${name}=${value}`).join(', ');
  return new C2yError('VALUE_UNREPRESENTABLE', `row (${key}), column "${error.column}": ${error.reason}`, {
    hint: 'set onError: reject to send such rows to rejects.jsonl and go on, or fix the value in Cassandra; nothing of this transaction was committed',
    retryable: false,
    context: { column: error.column },
  });
}
