import type { ChunkWriter } from '../encode/index.js';
import { C2yError } from '../errors/index.js';
import { checkCopiedRows, targetTableChanged, type SplitPoint } from '../sink/index.js';
import type { LatencyHistogram } from '../telemetry/index.js';
import type { SplitConnection } from './split-connection.js';
import type { TaskContext } from './split-task.js';
import type { TransactionTally } from './transaction-tally.js';

/**
 * A split's commits: each ends the open COPY (the server's row count checked against the tally), records the
 * transaction's rejects, and advances the fenced checkpoint from the last commit's point to the new one in the same
 * transaction as the rows. It keeps where the split stands (`from`) and what it has committed.
 */
export class SplitCommits {
  private point: SplitPoint;
  /** Rows and bytes committed by this attempt of the split. */
  rows = 0;
  bytes = 0;

  constructor(
    private readonly context: TaskContext,
    private readonly splitId: number,
    private readonly connection: SplitConnection,
    private readonly tally: TransactionTally,
    private readonly latency: LatencyHistogram,
    from: SplitPoint,
  ) {
    this.point = from;
  }

  /** The last committed point (the checkpoint's): a rescan starts here. */
  get from(): SplitPoint {
    return this.point;
  }

  /** Commits the open transaction up to `to` (`done`: the split's end); returns the rows the target already held (staged runs). */
  async commit(writer: ChunkWriter, to: SplitPoint, done: boolean): Promise<number | undefined> {
    const { connection, tally } = this;
    await connection.ensureTransaction();
    await this.endCopy(writer);
    if (tally.rejected.length > 0) {
      await this.context.store.recordRejects(connection.client, this.context.runId, tally.rejected);
      connection.countRoundTrip();
    }
    const existing = await this.advanceAndCommit(to, done);
    this.rows += tally.rows;
    this.bytes += tally.bytes;
    this.point = to;
    return existing;
  }

  private async endCopy(writer: ChunkWriter): Promise<void> {
    const ended = await this.connection.endCopy(writer);
    if (!ended) return;
    this.tally.bytes += ended.bytes;
    checkCopiedRows(ended.taken, this.tally.rows, this.splitId);
  }

  /** The checkpoint, the COMMIT and the next BEGIN travel together: one round trip instead of three. */
  private async advanceAndCommit(to: SplitPoint, done: boolean): Promise<number | undefined> {
    const { context, splitId } = this;
    const committing = performance.now();
    const request = {
      runId: context.runId, splitId, from: this.point, to, rows: this.tally.rows, done,
      ...(context.stage ? { merge: context.stage.merge() } : {}), ...(context.targetShape ? { shapeCheck: context.targetShape.check } : {}),
    };
    const outcome = await context.store.advanceAndCommit(this.connection.client, request, !done).catch((error: unknown) => {
      throw (context.targetShape && targetTableChanged(error, context.targetShape.target, splitId)) || error;
    });
    const commitMs = performance.now() - committing;
    context.latency.commit.record(commitMs);
    this.latency.record(commitMs);
    this.connection.countRoundTrip();
    if (!outcome.fenced) {
      throw new C2yError('SPLITS_FAILED', `split ${splitId} was advanced by another attempt; this attempt rolls back`, { retryable: true, context: { split: splitId } });
    }
    this.connection.committed(done);
    return outcome.existing;
  }
}
