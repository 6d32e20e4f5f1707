import type { C2yConfig } from '../config/index.js';
import { ChunkWriter, ValueEncodeError, type CopyFormat, type RowEncoder } from '../encode/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { rangeAfter, type ReplicatedRange, type Split } from '../plan/index.js';
import { rowKeyRecord, writtenSinceColumns, type SourceTable } from '../schema/index.js';
import {
  CheckpointStore, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyIn, copyFailed, describeServer, isDataError, openTarget,
  type IdleConnections, type MergeStage, type RejectedRow, type ServerInfo, type SplitCheckpoint, type SplitPoint, type TargetClient, type TargetEndpoint,
} from '../sink/index.js';
import { KeyCodec, scanPartitionTail, scanRanges, type CassandraClient, type CellDecoder, type ScanPage, type ScannedRow, type SourceSelection } from '../source/index.js';
import type { RunEvent } from '../observe/index.js';
import { LatencyHistogram, StreamTiming } from '../telemetry/index.js';
import { StreamThrottle, type ThrottleShares } from './stream-throttle.js';
import { rejectOf, staticOnlyReject } from './row-rejects.js';
import { PageEncoders, type TableRawEncoder } from './page-encoders.js';

/** What every task of an executor shares: one Cassandra session, the table, the encoder. */
/** The per-session YugabyteDB settings of a COPY stream, in one round trip. */
const YB_SESSION_SETTINGS = "SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'yb_default_copy_from_rows_per_transaction'";

export interface TaskContext {
  readonly config: C2yConfig;
  readonly runId: string;
  readonly table: SourceTable;
  readonly cassandra: CassandraClient;
  readonly consistency: number;
  readonly encoder: RowEncoder;
  /** The table's raw row encoder, shared by its splits in this executor (built from the first raw page). */
  readonly rawEncoder: TableRawEncoder;
  /** Set when pages are read as bytes (the raw page hook is installed and passed its self-test). */
  readonly rawPages: CellDecoder | undefined;
  readonly store: CheckpointStore;
  readonly copySql: string;
  /** target.onExisting skip or update: COPY fills this stage, and each commit merges it into the target. */
  readonly stage?: MergeStage;
  /** The COPY's wire format (copySql says the same to the server); binary streams open and close with a marker. */
  readonly copyFormat: CopyFormat;
  readonly executor: number;
  readonly emit: (event: RunEvent) => void;
  /** Every page read's and every commit's latency in this executor, for p50/p99 in the progress line and report. */
  readonly latency: { readonly pageRead: LatencyHistogram; readonly commit: LatencyHistogram };
  /** Target connections kept between this executor's splits (none: every split connects anew). */
  readonly connections?: IdleConnections;
  /** What of the table the run reads: source.where reaches every token-range read (its ranges are in the splits). */
  readonly selection: SourceSelection;
  /** The run's rate limits now, and the streams now sharing them (changed by `c2y tune` and as streams start and end). */
  readonly shares: () => ThrottleShares;
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
  const opened = await openForSplit(context, endpoint, split.id).catch((error: unknown) => {
    throw error instanceof C2yError ? error : copyFailed(error, { split: split.id, node: endpoint.key });
  });
  const { client, server } = opened;
  // Round trips to the target, reported with each commit: connecting counts as one (TCP and start-up: at least).
  let roundTrips = opened.roundTrips;
  let copy: CopyIn | undefined;
  // The checkpoint was read in the split's first transaction (BEGIN travelled with it).
  let inTransaction = true;
  // Set once the split ended with its last commit: only then may the next split take its connection.
  let clean = false;
  try {
    const { checkpoint } = opened;
    if (checkpoint.done) {
      await client.query('ROLLBACK');
      inTransaction = false;
      context.emit({ type: 'split-finished', splitId: split.id, rows: 0, executor: context.executor });
      clean = true;
      return 0;
    }
    context.emit({ type: 'split-started', splitId: split.id, attempt: input.attempt, executor: context.executor, node: endpoint.key, serverAddress: server.serverAddress, resumedFrom: checkpoint.lastToken === null ? null : `${checkpoint.lastToken}${checkpoint.position ? ' (inside its partition)' : ''}` });

    const writer = new ChunkWriter();
    const flushEvery = context.config.copyFlushEvery;
    // A partition of more than copyFlushEvery rows commits part-way, at a clustering position (needs clustering columns).
    const codec = context.table.clusteringKeys.length > 0 ? await KeyCodec.create(context.cassandra, context.table) : undefined;
    let from: SplitPoint = { token: checkpoint.lastToken, position: checkpoint.position };
    let lastToken: bigint | null = checkpoint.lastToken;
    // The last row read, by page and index: a raw page decodes its values only at a commit inside a partition.
    let lastPage: ScanPage | undefined;
    let lastIndex = -1;
    const rows = new PageEncoders(context);
    const timing = new StreamTiming();
    // This stream's own latencies, beside the executor's: the dashboard's Splits tab and the report's slowest streams.
    const streamLatency = { pageRead: new LatencyHistogram(), commit: new LatencyHistogram() };
    const takeRoundTrips = (): number => {
      const taken = roundTrips;
      roundTrips = 0;
      return taken;
    };
    let rowsInTransaction = 0;
    // A catch-up's rows last written before its cut-off: read, not written, and passed by the checkpoint.
    let olderInTransaction = 0;
    let rowsSinceReport = 0;
    const rejected: RejectedRow[] = [];
    const rejectRows = context.config.onError === 'reject';
    let bytesInTransaction = 0;
    let bytesCommitted = 0;
    let total = 0;
    // This split's share of the run's rate limits (source.readsPerSecond, target.rowsPerSecond/bytesPerSecond).
    const throttle = new StreamThrottle(context.shares);
    const bytesProduced = (): number => bytesCommitted + bytesInTransaction + writer.length;

    // The checkpoint's read, and each commit, began the next transaction in their own round trip; the COPY's start is one more.
    const begin = (): Promise<void> => timing.target(async () => {
      if (!inTransaction) {
        await client.query('BEGIN');
        inTransaction = true;
        roundTrips++;
      }
      copy = CopyIn.start(client, context.copySql);
      if (context.copyFormat === 'binary') writer.raw(COPY_BINARY_HEADER);
      roundTrips++;
    });
    const commit = (done: boolean, inside = false): Promise<void> => timing.target(() => commitBatch(done, inside));
    const commitBatch = async (done: boolean, inside: boolean): Promise<void> => {
      if (!inTransaction) {
        await client.query('BEGIN');
        inTransaction = true;
        roundTrips++;
      }
      if (copy) {
        if (context.copyFormat === 'binary') writer.raw(COPY_BINARY_TRAILER);
        if (writer.length > 0) {
          bytesInTransaction += writer.length;
          await copy.write(writer.take());
        }
        await copy.finish();
        copy = undefined;
        roundTrips++;
      }
      if (rejected.length > 0) {
        await store.recordRejects(client, runId, rejected);
        roundTrips++;
      }
      const to: SplitPoint = { token: lastToken, position: inside && codec && lastPage ? codec.positionOf(lastPage.values(lastIndex)) : null };
      // The checkpoint, the COMMIT and the next BEGIN travel together: one round trip instead of three.
      const committing = performance.now();
      const outcome = await store.advanceAndCommit(client, { runId, splitId: split.id, from, to, rows: rowsInTransaction, done, ...(context.stage ? { merge: context.stage.merge() } : {}) }, !done);
      const commitMs = performance.now() - committing;
      context.latency.commit.record(commitMs);
      streamLatency.commit.record(commitMs);
      roundTrips++;
      if (!outcome.fenced) {
        throw new C2yError('SPLITS_FAILED', `split ${split.id} was advanced by another attempt; this attempt rolls back`, { retryable: true, context: { split: split.id } });
      }
      inTransaction = !done;
      total += rowsInTransaction;
      const staticOnlyRows = rejected.filter((row) => row.kind === 'static-only').length;
      context.emit({ type: 'batch-committed', splitId: split.id, rows: rowsInTransaction, bytes: bytesInTransaction, rejected: rejected.length - staticOnlyRows, staticOnly: staticOnlyRows, ...(context.stage ? { existing: outcome.existing } : {}), ...(older ? { older: olderInTransaction } : {}), referenceCells: rows.takeReferenceCells(), driverPages: rows.takeDriverPages(), ...timing.take(), roundTrips: takeRoundTrips(), throttledMs: throttle.take(), lastToken: lastToken?.toString() ?? null, executor: context.executor, streamLatency: { pageReadMs: [...streamLatency.pageRead.counts], commitMs: [...streamLatency.commit.counts] } });
      rejected.length = 0;
      bytesCommitted += bytesInTransaction;
      from = to;
      rowsInTransaction = 0;
      olderInTransaction = 0;
      rowsSinceReport = 0;
      bytesInTransaction = 0;
    };

    // Rows PostgreSQL refused although the encoder passed them, found again by token and key (never by position: the
    // table may be written between two scans of the same range), and each line's identity in this transaction.
    const refused = new Map<string, { column: string; reason: string }>();
    const lines = new LineKeys();
    const staticOnly = staticOnlyCheck(context.table);
    const older = olderCheck(context.table);
    const valuesOf = (page: ScanPage, index: number): ScannedRow => page.values(index);
    let streamedInTransaction = 0;
    for (;;) {
      try {
        for await (const page of timedPages(scanFrom(context, split, from, input.attempt, codec, streamLatency.pageRead), timing)) {
          const pageStarted = performance.now();
          const targetBefore = timing.targetWaitMs;
          const bytesBefore = bytesProduced();
          if (signal.aborted) throw interrupted(split.id);
          const encodeRow = rows.encoderFor(page);
          for (let index = 0; index < page.length; index++) {
            const token = page.token(index);
            if (rowsInTransaction + rejected.length + olderInTransaction >= flushEvery) {
              const boundary = token !== lastToken;
              if (boundary || (lastPage !== undefined && !staticOnly(lastPage, lastIndex) && codec?.samePartition(valuesOf(lastPage, lastIndex), valuesOf(page, index)) === true)) {
                await commit(false, !boundary);
                lines.clear();
                streamedInTransaction = 0;
              }
            }
            if (lastPage !== page) {
              // The previous page is read for the last time just above (a commit's position, the same-partition
              // check): from here nothing holds it, and its buffers can take a later page.
              lastPage?.release();
              lastPage = page;
            }
            lastIndex = index;
            if (copy === undefined) await begin();
            if (staticOnly(page, index)) {
              // Policy: PostgreSQL's primary key cannot hold a row without clustering values; the partition's static
              // cells are recorded in the rejects with its key (whatever onError says) and the split goes on.
              rejected.push(staticOnlyReject(context.table, split.id, token, valuesOf(page, index)));
              lastToken = token;
              continue;
            }
            if (older !== undefined && older(page, index)) {
              olderInTransaction++;
              lastToken = token;
              continue;
            }
            const rowStart = writer.length;
            let keyEnd: number;
            try {
              keyEnd = encodeRow(index, writer);
            } catch (error) {
              if (!(error instanceof ValueEncodeError) || !rejectRows) throw valueError(error, context.table, valuesOf(page, index));
              writer.truncate(rowStart);
              rejected.push(rejectOf(error, context.table, split.id, token, valuesOf(page, index)));
              lastToken = token;
              continue;
            }
            const keyHash = writer.hash(rowStart, keyEnd);
            const refusal = refused.size === 0 ? undefined : refused.get(lineIdentity(token, keyHash));
            if (refusal !== undefined) {
              writer.truncate(rowStart);
              const error = new ValueEncodeError(refusal.column, refusal.reason);
              if (!rejectRows) throw valueError(error, context.table, valuesOf(page, index));
              rejected.push(rejectOf(error, context.table, split.id, token, valuesOf(page, index)));
              lastToken = token;
              continue;
            }
            lines.add(token, keyHash);
            rowsInTransaction++;
            lastToken = token;
            rowsSinceReport++;
            if (writer.length >= CHUNK_BYTES) {
              bytesInTransaction += writer.length;
              const chunk = writer.take();
              // Streamed, not a round trip: the write waits only when the socket is full.
              await timing.target(() => (copy as CopyIn).write(chunk));
              context.emit({ type: 'rows-streamed', splitId: split.id, rows: rowsSinceReport, executor: context.executor });
              streamedInTransaction += rowsSinceReport;
              rowsSinceReport = 0;
            }
          }
          timing.transcodeMs += performance.now() - pageStarted - (timing.targetWaitMs - targetBefore);
          if (throttle.limited) await throttle.after({ read: page.length, rows: page.length, bytes: bytesProduced() - bytesBefore }, signal);
        }
        if (signal.aborted) throw interrupted(split.id);
        await commit(true);
        break;
      } catch (error) {
        const line = refusedLine(error);
        const identity = line === undefined ? undefined : lines.identityOf(line.line);
        if (line === undefined || identity === undefined || signal.aborted) throw error;
        if (refused.has(identity)) throw error;
        // PostgreSQL named the bad line: roll back, and rescan the transaction from its start with that row set aside.
        if (copy) await (copy as CopyIn).abort('c2y: isolating a refused row');
        copy = undefined;
        await client.query('ROLLBACK');
        inTransaction = false;
        refused.set(identity, { column: line.column, reason: `PostgreSQL refused it: ${line.message}` });
        if (streamedInTransaction > 0) context.emit({ type: 'rows-streamed', splitId: split.id, rows: -streamedInTransaction, executor: context.executor });
        writer.truncate(0);
        lastToken = from.token;
        lastPage = undefined;
        rowsInTransaction = 0;
        olderInTransaction = 0;
        rowsSinceReport = 0;
        bytesInTransaction = 0;
        rejected.length = 0;
        lines.clear();
        streamedInTransaction = 0;
      }
    }
    context.emit({ type: 'split-finished', splitId: split.id, rows: total, executor: context.executor });
    clean = !inTransaction && copy === undefined;
    return total;
  } catch (error) {
    if (copy) await (copy as CopyIn).abort(signal.aborted ? 'c2y: interrupted' : `c2y: ${messageOf(error)}`);
    if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof C2yError) throw error;
    throw copyFailed(error, { split: split.id, node: endpoint.key });
  } finally {
    if (clean && context.connections) context.connections.give(endpoint.key, { client, server });
    else await client.end().catch(() => undefined);
  }
}

/**
 * The split's connection and checkpoint: on a connection an earlier split of this executor left on the node when
 * there is one (no connect, no server probe: only the checkpoint's round trip), else on a new one. A kept connection
 * that fails its first query (the server restarted, or ended it, while it waited) is dropped for a new one at once.
 */
async function openForSplit(context: TaskContext, endpoint: TargetEndpoint, splitId: number): Promise<{ client: TargetClient; server: ServerInfo; checkpoint: SplitCheckpoint; roundTrips: number }> {
  const kept = context.connections?.take(endpoint.key);
  if (kept) {
    try {
      const staged = await context.stage?.prepare(kept.client) ?? 0;
      return { ...kept, checkpoint: await context.store.beginAndReadCheckpoint(kept.client, context.runId, splitId), roundTrips: 1 + staged };
    } catch {
      await kept.client.end().catch(() => undefined);
    }
  }
  const client = await openTarget(endpoint, context.config.target, `c2y ${context.runId} split ${splitId}`);
  try {
    const server = await describeServer(client);
    // YugabyteDB's COPY commits every 20,000 rows on its own; 0 keeps each batch in the transaction that also
    // advances the checkpoint, so exactly-once holds there as on PostgreSQL. Set through pg_settings so a server
    // without the setting (older releases) is not an error. The session keeps it for the splits that reuse it.
    if (server.dialect === 'yugabyte') await client.query(YB_SESSION_SETTINGS);
    const staged = await context.stage?.prepare(client) ?? 0;
    const checkpoint = await context.store.beginAndReadCheckpoint(client, context.runId, splitId);
    return { client, server, checkpoint, roundTrips: (server.dialect === 'yugabyte' ? 4 : 3) + staged };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** The split's rows after a checkpoint: the rest of a part-committed partition first, then the ranges after its token. */
async function* scanFrom(context: TaskContext, split: Split, from: SplitPoint, attempt: number, codec: KeyCodec | undefined, streamPageRead: LatencyHistogram): AsyncGenerator<ScanPage, void, undefined> {
  const options = {
    ...(context.rawPages === undefined ? {} : { rawPages: context.rawPages }),
    client: context.cassandra, table: context.table, fetchSize: effectiveFetchSize(context.config), consistency: context.consistency,
    replicaOffset: split.id + attempt, addressMap: context.config.source.addressMap, readTimeoutMs: context.config.source.readTimeoutMs, filterCql: context.selection.filter?.cql,
    onPageRetry: (retry: { attempt: number; replica: string | null; error: string }) => context.emit({ type: 'page-retry', splitId: split.id, ...retry, executor: context.executor }),
    onPageRead: (ms: number) => {
      context.latency.pageRead.record(ms);
      streamPageRead.record(ms);
    },
  };
  if (from.position !== null && from.token !== null && codec) {
    const token = from.token;
    const replicas = split.ranges.find((range) => range.start < token && token <= range.end)?.replicas ?? [];
    yield* scanPartitionTail({ ...options, ranges: [] }, { token, position: from.position, codec, replicas });
  }
  yield* scanRanges({ ...options, ranges: remainingRanges(split, from.token) });
}

/** The scan's pages, the wait for each counted as waiting on Cassandra; a consumer that stops closes the scan. */
async function* timedPages(scan: AsyncGenerator<ScanPage, void, undefined>, timing: StreamTiming): AsyncGenerator<ScanPage, void, undefined> {
  try {
    for (;;) {
      const started = performance.now();
      const next = await scan.next();
      timing.sourceWaitMs += performance.now() - started;
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await scan.return(undefined);
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

/**
 * A COPY error about one row's data (SQLSTATE class 22, a value; class 23, a constraint such as NOT NULL or a unique
 * key): the line PostgreSQL names, its column and message. Such an error is isolated to its row, never retried.
 */
export function refusedLine(error: unknown): { line: number; column: string; message: string } | undefined {
  if (!isDataError(error)) return undefined;
  const pgError = error as { where?: unknown; message?: unknown; column?: unknown; constraint?: unknown; detail?: unknown };
  if (typeof pgError.where !== 'string') return undefined;
  const match = /COPY [^,]*, line (\d+)(?:, column ([^:]+))?/.exec(pgError.where);
  if (!match) return undefined;
  const column = match[2] ?? (typeof pgError.column === 'string' ? pgError.column : typeof pgError.constraint === 'string' ? `(constraint ${pgError.constraint})` : '(row)');
  const detail = typeof pgError.detail === 'string' ? ` (${pgError.detail})` : '';
  return { line: Number(match[1]), column, message: `${String(pgError.message)}${detail}` };
}

/** A line's identity across scans of the same range: its token and the hash of its key's COPY text. */
function lineIdentity(token: bigint, keyHash: number): string {
  return `${token}:${keyHash}`;
}

/** The identity of each COPY line of the open transaction, in line order; 16 bytes a row. */
class LineKeys {
  private tokens = new BigInt64Array(1024);
  private hashes = new Float64Array(1024);
  private count = 0;

  add(token: bigint, keyHash: number): void {
    if (this.count === this.tokens.length) {
      const tokens = new BigInt64Array(this.count * 2);
      tokens.set(this.tokens);
      const hashes = new Float64Array(this.count * 2);
      hashes.set(this.hashes);
      this.tokens = tokens;
      this.hashes = hashes;
    }
    this.tokens[this.count] = token;
    this.hashes[this.count] = keyHash;
    this.count++;
  }

  /** PostgreSQL's line numbers start at 1. */
  identityOf(line: number): string | undefined {
    if (line < 1 || line > this.count) return undefined;
    return lineIdentity(this.tokens[line - 1] as bigint, this.hashes[line - 1] as number);
  }

  clear(): void {
    this.count = 0;
  }
}

/**
 * A catch-up's test: the row's newest write time (over its write-time columns) is before the cut-off. A row with no
 * write time at all (every timed cell null) is not older: it is written, and the merge leaves it as it is if equal.
 */
function olderCheck(table: SourceTable): ((page: ScanPage, index: number) => boolean) | undefined {
  const since = table.writtenSince;
  if (since === undefined) return undefined;
  const columns = writtenSinceColumns(table);
  return (page, index) => {
    let newest: number | null = null;
    for (const column of columns) {
      const stamp = page.int64(index, column);
      if (stamp !== null && (newest === null || stamp > newest)) newest = stamp;
    }
    return newest !== null && newest < since;
  };
}

/** A row whose clustering columns are null: Cassandra's answer for a partition that holds only static cells. */
function staticOnlyCheck(table: SourceTable): (page: ScanPage, index: number) => boolean {
  const first = table.columns.findIndex((column) => column.role === 'clustering');
  if (first < 0) return () => false;
  return (page, index) => page.isNull(index, first);
}

function interrupted(splitId: number): C2yError {
  return new C2yError('INTERRUPTED', `split ${splitId} interrupted; its open transaction was rolled back`, { context: { split: splitId } });
}

function valueError(error: unknown, table: SourceTable, row: readonly unknown[]): C2yError {
  if (!(error instanceof ValueEncodeError)) return copyFailed(error, {});
  const key = Object.entries(rowKeyRecord(table, row)).map(([name, value]) => `${name}=${value}`).join(', ');
  return new C2yError('VALUE_UNREPRESENTABLE', `row (${key}), column "${error.column}": ${error.reason}`, {
    hint: 'set onError: reject to send such rows to rejects.jsonl and go on, or fix the value in Cassandra; nothing of this transaction was committed',
    retryable: false,
    context: { column: error.column },
  });
}
