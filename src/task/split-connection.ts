import type { ChunkWriter, CopyFormat } from '../encode/index.js';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyIn, type TargetClient } from '../sink/index.js';

/**
 * A split's connection to the target as its stream uses it: the open transaction, the open COPY, and the round trips
 * spent since the last commit's report. The checkpoint's read began the split's first transaction (BEGIN travelled
 * with it) and each commit begins the next, so a COPY's start is its only round trip of its own.
 */
export class SplitConnection {
  private copy: CopyIn | undefined;
  private inTransaction = true;
  private roundTrips: number;

  /** `openingRoundTrips`: connecting (none on a kept or early connection), a staging table's, and the checkpoint's read. */
  constructor(readonly client: TargetClient, openingRoundTrips: number, private readonly copySql: string, private readonly format: CopyFormat) {
    this.roundTrips = openingRoundTrips;
  }

  /** Nothing open on the connection: the next split may take it. */
  get clean(): boolean {
    return !this.inTransaction && this.copy === undefined;
  }

  get copying(): boolean {
    return this.copy !== undefined;
  }

  /** BEGIN where no transaction is open, then the COPY's start (binary's header first in the writer). */
  async startCopy(writer: ChunkWriter): Promise<void> {
    await this.ensureTransaction();
    this.copy = CopyIn.start(this.client, this.copySql);
    if (this.format === 'binary') writer.raw(COPY_BINARY_HEADER);
    this.roundTrips++;
  }

  /** A commit's statements need a transaction: the split's last commit left none open. */
  async ensureTransaction(): Promise<void> {
    if (this.inTransaction) return;
    await this.client.query('BEGIN');
    this.inTransaction = true;
    this.roundTrips++;
  }

  /** Streamed, not a round trip: waits only when the socket is full. True when no byte of it is held here any more. */
  async write(chunk: Buffer): Promise<boolean> {
    const copy = this.copy as CopyIn;
    await copy.write(chunk);
    return copy.flushed();
  }

  /**
   * Ends the COPY with the writer's last bytes (and binary's trailer) and reclaims the writer's chunks, since the
   * server has every row. Returns the bytes written here and the rows the server took; undefined if none was open.
   */
  async endCopy(writer: ChunkWriter): Promise<{ readonly bytes: number; readonly taken: number | undefined } | undefined> {
    const { copy } = this;
    if (!copy) return undefined;
    if (this.format === 'binary') writer.raw(COPY_BINARY_TRAILER);
    const bytes = writer.length;
    if (bytes > 0) await copy.write(writer.take());
    const taken = await copy.finish();
    writer.reclaim();
    this.copy = undefined;
    this.roundTrips++;
    return { bytes, taken };
  }

  /** A statement another module sent on this connection inside the transaction (the rejects, the checkpoint). */
  countRoundTrip(): void {
    this.roundTrips++;
  }

  /** The checkpoint's statement committed; unless the split is done, it began the next transaction too. */
  committed(done: boolean): void {
    this.inTransaction = !done;
  }

  /** Round trips since the last call: each commit reports its own. */
  takeRoundTrips(): number {
    const roundTrips = this.roundTrips;
    this.roundTrips = 0;
    return roundTrips;
  }

  /** CopyFail for an open COPY, then ROLLBACK; a failed ROLLBACK throws (the caller cannot go on on this connection). */
  async rollBack(reason: string): Promise<void> {
    await this.abortCopy(reason);
    await this.client.query('ROLLBACK');
    this.inTransaction = false;
  }

  /** After a failure: as rollBack, but a connection already broken is left to its pool to discard. */
  async abandon(reason: string): Promise<void> {
    await this.abortCopy(reason);
    if (this.inTransaction) await this.client.query('ROLLBACK').catch(() => undefined);
    this.inTransaction = false;
  }

  private async abortCopy(reason: string): Promise<void> {
    if (this.copy) await this.copy.abort(reason);
    this.copy = undefined;
  }
}
