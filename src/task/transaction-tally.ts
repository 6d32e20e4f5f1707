import type { RejectedRow } from '../sink/index.js';

/**
 * What a split's open transaction holds, for its commit and its report: rows written, a catch-up's rows older than
 * its cut-off (read, not written, passed by the checkpoint), rows set aside, bytes streamed, and rows announced as
 * streamed (taken back if the transaction rolls back).
 */
export class TransactionTally {
  rows = 0;
  older = 0;
  sinceReport = 0;
  streamed = 0;
  bytes = 0;
  readonly rejected: RejectedRow[] = [];

  /** Every row the checkpoint will pass: the commit cadence (copyFlushEvery) counts them all. */
  get passed(): number {
    return this.rows + this.rejected.length + this.older;
  }

  /** The rows written since the last announcement, now announced. */
  announce(): number {
    const rows = this.sinceReport;
    this.streamed += rows;
    this.sinceReport = 0;
    return rows;
  }

  /** A new transaction (after a commit, or a roll-back that rescans from the checkpoint). */
  reset(): void {
    this.rejected.length = 0;
    this.rows = 0;
    this.older = 0;
    this.sinceReport = 0;
    this.streamed = 0;
    this.bytes = 0;
  }
}
