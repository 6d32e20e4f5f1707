import { ValueEncodeError, type ChunkWriter } from '../encode/index.js';
import { C2yError } from '../errors/index.js';
import { rowKeyRecord, type SourceTable } from '../schema/index.js';
import { copyFailed, type SplitCheckpoint, type SplitPoint, type TargetClient } from '../sink/index.js';
import type { KeyCodec, PartitionPosition, ScanPage, ScannedRow } from '../source/index.js';
import { LatencyHistogram, StreamTiming } from '../telemetry/index.js';
import { PageEncoders } from './page-encoders.js';
import { lineIdentity, olderCheck, refusedLine, staticOnlyCheck, type LineKeys } from './row-checks.js';
import { rejectOf, staticOnlyReject } from './row-rejects.js';
import { SplitCommits } from './split-commits.js';
import { SplitConnection } from './split-connection.js';
import { scanFrom, timedPages, type EarlyScan } from './split-scan.js';
import type { SplitTaskInput, TaskContext } from './split-task.js';
import { CHUNK_BYTES, streamBuffers, type StreamBuffers } from './stream-buffers.js';
import { StreamThrottle } from './stream-throttle.js';
import { TransactionTally } from './transaction-tally.js';

/** The split's connection as runSplitTask opened it: inside the transaction that read the checkpoint. */
export interface OpenedSplit {
  readonly client: TargetClient;
  readonly checkpoint: SplitCheckpoint;
  /** Round trips spent opening it (connecting, the server's description, the checkpoint's read). */
  readonly roundTrips: number;
}

/**
 * The last row of a page that is done, as a commit or the next page's first row may need it after the page's buffers
 * went back for another page: nothing in it points into the page.
 */
interface LastRowCopy {
  readonly token: bigint;
  readonly staticOnly: boolean;
  /** Its position in its partition, encoded (tables with clustering columns, and a row that is not static-only). */
  readonly position: PartitionPosition | null;
}

/**
 * One split's COPY streams and commits on its connection, from its checkpoint to its end. Every ~copyFlushEvery rows,
 * at a token boundary (so at a partition boundary), the COPY ends and the split's checkpoint is advanced in the same
 * transaction; a partition larger than that commits part-way at a clustering position (tables with clustering columns).
 */
export class SplitStream {
  private readonly connection: SplitConnection;
  private readonly commits: SplitCommits;
  private lastToken: bigint | null;
  // The last row read, by page and index while its page is the one being copied (a raw page decodes its values only at
  // a commit inside a partition), then as a copy once that page is done (finishPage).
  private lastPage: ScanPage | undefined;
  private lastIndex = -1;
  private lastCopy: LastRowCopy | undefined;
  private readonly tally = new TransactionTally();
  // Rows PostgreSQL refused although the encoder passed them, found again by token and key (never by position: the
  // table may be written between two scans of the same range), and each line's identity in this transaction.
  private readonly refused = new Map<string, { column: string; reason: string }>();
  private readonly lines: LineKeys;
  private readonly writer: ChunkWriter;
  // Taken from the executor's pool, given back by release() for the next split.
  private buffers: StreamBuffers | undefined;
  private readonly rows: PageEncoders;
  private readonly timing = new StreamTiming();
  // This stream's own latencies, beside the executor's: the dashboard's Splits tab and the report's slowest streams.
  private readonly streamLatency: { readonly pageRead: LatencyHistogram; readonly commit: LatencyHistogram };
  // This split's share of the run's rate limits (source.readsPerSecond, target.rowsPerSecond/bytesPerSecond).
  private readonly throttle: StreamThrottle;
  private readonly staticOnly: (page: ScanPage, index: number) => boolean;
  private readonly older: ((page: ScanPage, index: number) => boolean) | undefined;

  constructor(private readonly context: TaskContext, private readonly input: SplitTaskInput, opened: OpenedSplit, private readonly codec: KeyCodec | undefined, private readonly early?: EarlyScan) {
    this.streamLatency = { pageRead: early?.pageRead ?? new LatencyHistogram(), commit: new LatencyHistogram() };
    this.buffers = streamBuffers.take();
    this.writer = this.buffers.writer;
    this.lines = this.buffers.lines;
    this.connection = new SplitConnection(opened.client, opened.roundTrips, context.copySql, context.copyFormat);
    this.commits = new SplitCommits(context, input.split.id, this.connection, this.tally, this.streamLatency.commit, { token: opened.checkpoint.lastToken, position: opened.checkpoint.position });
    this.lastToken = opened.checkpoint.lastToken;
    this.rows = new PageEncoders(context);
    this.throttle = new StreamThrottle(context.shares);
    this.staticOnly = staticOnlyCheck(context.table);
    this.older = olderCheck(context.table);
  }

  /** Nothing open on the connection: the next split may take it. */
  get clean(): boolean {
    return this.connection.clean;
  }

  /** Streams the split to its end, setting aside each row PostgreSQL refuses; returns the rows committed. */
  async run(): Promise<number> {
    const { split, attempt, signal } = this.input;
    for (;;) {
      try {
        // The split's first scan may have begun with its checkpoint's read; a rescan (a refused row) starts anew.
        const early = this.early?.take(this.commits.from);
        const scan = early ?? scanFrom(this.context, split, this.commits.from, attempt, this.codec, this.streamLatency.pageRead);
        if (!this.connection.copying && (early === undefined || this.early?.firstPageIn !== true)) await this.startCopy();
        for await (const page of timedPages(scan, this.timing)) {
          await this.copyPage(page);
        }
        if (signal.aborted) throw interrupted(split.id);
        await this.commit(true, false);
        this.dropLastPage();
        return this.commits.rows;
      } catch (error) {
        if (!(await this.setAsideRefused(error))) throw error;
      }
    }
  }

  /**
   * The last page read, done with: after the split's last commit (which read its position) or before a rescan. Its
   * buffers go back for the next split's pages; kept until then, every split's last page was left to the collector.
   */
  private dropLastPage(): void {
    this.lastPage?.release();
    this.lastPage = undefined;
    this.lastCopy = undefined;
  }

  /**
   * The page is copied: what its last row may still be asked (its token, whether it is static-only, its position) is
   * copied out and the page's buffers go back now. Kept until the next page's first row, a task held three pages at
   * once (the last, the current and the prefetched), past the two its plan counts, and the executor made page buffers
   * it then dropped.
   */
  private finishPage(page: ScanPage): void {
    if (this.lastPage !== page) return;
    const index = this.lastIndex;
    const staticOnly = this.staticOnly(page, index);
    const { codec } = this;
    this.lastCopy = { token: page.token(index), staticOnly, position: codec && !staticOnly ? codec.positionOf(page.values(index, codec.columnsNeeded)) : null };
    page.release();
    this.lastPage = undefined;
  }

  /** The stream is over (committed, abandoned or never run): its buffers go to the executor's next split, once. */
  release(): void {
    if (this.buffers) streamBuffers.give(this.buffers);
    this.buffers = undefined;
  }

  /** After a failure: CopyFail for an open COPY, and the open transaction rolled back. */
  abandon(reason: string): Promise<void> {
    return this.connection.abandon(reason);
  }

  private async copyPage(page: ScanPage): Promise<void> {
    const { timing } = this;
    const pageStarted = performance.now();
    const targetBefore = timing.targetWaitMs;
    const bytesBefore = this.bytesProduced();
    if (this.input.signal.aborted) throw interrupted(this.input.split.id);
    const encodeRow = this.rows.encoderFor(page);
    const flushEvery = this.context.config.copyFlushEvery;
    let index = 0;
    while (index < page.length) {
      const token = page.token(index);
      if (this.flushDue(flushEvery)) {
        const boundary = token !== this.lastToken;
        if (boundary || this.samePartitionAsLast(page, index)) await this.commit(false, !boundary);
      }
      if (this.lastPage !== page) {
        // The previous page's last row was read for the last time just above (a commit's position, the same-partition
        // check), from its copy: the page itself went back when it was done.
        this.lastPage?.release();
        this.lastPage = page;
        this.lastCopy = undefined;
      }
      if (!this.connection.copying) await this.startCopy();
      index = this.encodeRows(page, index, encodeRow, flushEvery);
      if (this.writer.length >= CHUNK_BYTES) await this.streamChunk();
    }
    timing.transcodeMs += performance.now() - pageStarted - (timing.targetWaitMs - targetBefore);
    this.finishPage(page);
    if (this.throttle.limited) await this.throttle.after({ read: page.length, rows: page.length, bytes: this.bytesProduced() - bytesBefore }, this.input.signal);
  }

  /**
   * The COPY's start is a round trip of its own, taken where none is open: with the first row that needs it, or, when
   * a scan's first page is not in yet (a scan begun after the checkpoint's read, or one slower than it), while that
   * page is read. A scan whose first page is in and empty then needs no COPY at all (a split with no rows).
   */
  private startCopy(): Promise<void> {
    return this.timing.target(() => this.connection.startCopy(this.writer));
  }

  private flushDue(flushEvery: number): boolean {
    return this.tally.passed >= flushEvery;
  }

  /**
   * Rows from `from` (its commit check done by the caller) until one needs a commit check or a chunk is full; returns
   * the next row's index. Synchronous, apart from copyPage's awaits: V8 compiles the row loop, with the row encoder
   * inlined, once its paths have all run, instead of again each time a rarely taken await (a commit, a chunk, a
   * BEGIN) first met optimized code (~5 compilations of copyPage per executor on types_zoo before).
   */
  private encodeRows(page: ScanPage, from: number, encodeRow: (index: number, out: ChunkWriter) => number, flushEvery: number): number {
    for (let index = from; index < page.length; index++) {
      if (index > from && this.flushDue(flushEvery)) return index;
      this.lastIndex = index;
      if (this.writeRow(page, index, page.token(index), encodeRow) && this.writer.length >= CHUNK_BYTES) return index + 1;
    }
    return page.length;
  }

  /** The row continues the last row's partition (a commit there is inside the partition, at its clustering position). */
  private samePartitionAsLast(page: ScanPage, index: number): boolean {
    const { codec } = this;
    if (codec === undefined) return false;
    const last = this.lastPage;
    if (last !== undefined) return !this.staticOnly(last, this.lastIndex) && codec.samePartition(last.values(this.lastIndex), page.values(index));
    const copy = this.lastCopy;
    if (copy === undefined || copy.position === null) return false;
    return codec.inPartitionOf(copy.token, copy.position, page.values(index, codec.columnsNeeded));
  }

  /** The last row's position in its partition: from its page while that is current, else from the copy. */
  private lastPosition(): PartitionPosition | null {
    const last = this.lastPage;
    if (last === undefined || this.codec === undefined) return this.lastCopy?.position ?? null;
    return this.codec.positionOf(last.values(this.lastIndex));
  }

  /**
   * The row as a COPY line, or set aside: a partition of only static cells and a row the encoder or PostgreSQL
   * refused go to the rejects (or stop the split, as onError says); a catch-up's older row is passed. True if written.
   */
  private writeRow(page: ScanPage, index: number, token: bigint, encodeRow: (index: number, out: ChunkWriter) => number): boolean {
    this.lastToken = token;
    if (this.staticOnly(page, index)) {
      // Policy: PostgreSQL's primary key cannot hold a row without clustering values; the partition's static cells
      // are recorded in the rejects with its key (whatever onError says) and the split goes on.
      this.tally.rejected.push(staticOnlyReject(this.context.table, this.input.split.id, token, page.values(index)));
      return false;
    }
    if (this.older !== undefined && this.older(page, index)) {
      this.tally.older++;
      return false;
    }
    const { writer } = this;
    const rowStart = writer.length;
    let keyEnd: number;
    try {
      keyEnd = encodeRow(index, writer);
    } catch (error) {
      this.refuseRow(error, page, index, token, rowStart);
      return false;
    }
    const keyHash = writer.hash(rowStart, keyEnd);
    const refusal = this.refused.size === 0 ? undefined : this.refused.get(lineIdentity(token, keyHash));
    if (refusal !== undefined) {
      this.refuseRow(new ValueEncodeError(refusal.column, refusal.reason), page, index, token, rowStart);
      return false;
    }
    this.lines.add(token, keyHash);
    this.tally.rows++;
    this.tally.sinceReport++;
    return true;
  }

  /** A refused row: its bytes dropped and the row in the rejects, or (onError: fail) the split stopped naming it. */
  private refuseRow(error: unknown, page: ScanPage, index: number, token: bigint, rowStart: number): void {
    const values: ScannedRow = page.values(index);
    if (!(error instanceof ValueEncodeError) || this.context.config.onError !== 'reject') throw valueError(error, this.context.table, values);
    this.writer.truncate(rowStart);
    this.tally.rejected.push(rejectOf(error, this.context.table, this.input.split.id, token, values));
  }

  /** Streamed, not a round trip: the write waits only when the socket is full. */
  private async streamChunk(): Promise<void> {
    this.tally.bytes += this.writer.length;
    const chunk = this.writer.take();
    if (await this.timing.target(() => this.connection.write(chunk))) this.writer.reclaim();
    this.context.emit({ type: 'rows-streamed', splitId: this.input.split.id, rows: this.tally.announce(), executor: this.context.executor });
  }

  private bytesProduced(): number {
    return this.commits.bytes + this.tally.bytes + this.writer.length;
  }

  /**
   * Commits the transaction at the last row written (`inside`: at its clustering position), and reports it with the
   * commit's own wait on the target in it. Reported from inside that wait, a commit's time went out with the next
   * commit, and a split's last commit (a one-commit split's only target wait but the first chunk) never.
   */
  private async commit(done: boolean, inside: boolean): Promise<void> {
    const to: SplitPoint = { token: this.lastToken, position: inside && this.codec ? this.lastPosition() : null };
    const existing = await this.timing.target(() => this.commits.commit(this.writer, to, done));
    this.reportCommit(existing);
    this.startTransaction();
  }

  private reportCommit(existing: number | undefined): void {
    const { context, tally, streamLatency } = this;
    const staticOnlyRows = tally.rejected.filter((row) => row.kind === 'static-only').length;
    const roundTrips = this.connection.takeRoundTrips();
    context.emit({
      type: 'batch-committed', splitId: this.input.split.id, rows: tally.rows, bytes: tally.bytes, rejected: tally.rejected.length - staticOnlyRows, staticOnly: staticOnlyRows,
      ...(context.stage ? { existing } : {}), ...(this.older ? { older: tally.older } : {}), referenceCells: this.rows.takeReferenceCells(), driverPages: this.rows.takeDriverPages(),
      ...this.timing.take(), roundTrips, throttledMs: this.throttle.take(), lastToken: this.lastToken?.toString() ?? null, executor: context.executor,
      streamLatency: { pageReadMs: [...streamLatency.pageRead.counts], commitMs: [...streamLatency.commit.counts] },
    });
  }

  /** A new transaction's counts (after a commit, or a roll-back that rescans from the checkpoint). */
  private startTransaction(): void {
    this.tally.reset();
    this.lines.clear();
  }

  /**
   * PostgreSQL named the bad line of a COPY: roll back, and rescan the transaction from its start with that row set
   * aside. False if the error is not such a refusal (or names a row already set aside): the caller throws it.
   */
  private async setAsideRefused(error: unknown): Promise<boolean> {
    const line = refusedLine(error);
    const identity = line === undefined ? undefined : this.lines.identityOf(line.line);
    if (line === undefined || identity === undefined || this.input.signal.aborted || this.refused.has(identity)) return false;
    await this.connection.rollBack('c2y: isolating a refused row');
    this.refused.set(identity, { column: line.column, reason: `PostgreSQL refused it: ${line.message}` });
    if (this.tally.streamed > 0) this.context.emit({ type: 'rows-streamed', splitId: this.input.split.id, rows: -this.tally.streamed, executor: this.context.executor });
    this.writer.truncate(0);
    this.lastToken = this.commits.from.token;
    this.dropLastPage();
    this.startTransaction();
    return true;
  }
}

export function interrupted(splitId: number): C2yError {
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
