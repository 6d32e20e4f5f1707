import { createHash } from 'node:crypto';
import { ChunkWriter, ValueEncodeError, type RowEncoder } from '../encode/index.js';
import { qualifiedName, quoteIdent, targetColumnName, type SourceTable, type TargetName } from '../schema/index.js';
import { C2yError } from '../errors/index.js';
import { CopyIn, copyStatement, type CdcStore, type CheckpointStore, type RejectedRow, type TargetClient } from '../sink/index.js';
import { rejectOf, staticOnlyReject } from '../task/index.js';
import { keyReadQueries, scanKeys, type CassandraClient, type KeyCodec, type KeyRead, type ScannedRow } from '../source/index.js';
import { TouchedKeys, type KeyExpiry, type TouchedKey } from './touched-keys.js';

/** Everything the applier needs of the table, both sides: built once per live run. */
export interface ApplyContext {
  readonly table: SourceTable;
  readonly targetName: TargetName;
  readonly cassandra: CassandraClient;
  readonly codec: KeyCodec;
  /** COPY text: the same lines migrate writes. */
  readonly encoder: RowEncoder;
  readonly consistency: number;
  readonly fetchSize: number;
  readonly filterCql?: string | undefined;
  readonly store: CdcStore;
  readonly stream: string;
  /** The bulk run the capture belongs to: rows the apply leaves out are recorded among its rejects. */
  readonly runId: string;
  readonly rejects: CheckpointStore;
  readonly onError: 'stop' | 'reject';
  /** Key reads in flight at once. */
  readonly readConcurrency: number;
}

/** One node's log up to where this batch covers it. */
export interface NodeAdvance {
  readonly node: string;
  readonly segment: number;
  readonly position: number;
  readonly changes: number;
  readonly appliedThrough: number | null;
  readonly syncMs: number | null;
  readonly clockSkewMs: number | null;
}

export interface ApplyBatch {
  readonly reads: readonly TouchedKey[];
  readonly expiries: readonly KeyExpiry[];
  /** Stored expiries that fell due and are among the reads: dropped in the batch's transaction. */
  readonly dueIds: readonly string[];
  readonly advances: readonly NodeAdvance[];
}

export interface ApplyOutcome {
  readonly keys: number;
  readonly rowsWritten: number;
  /** Source rows the target cannot hold (a static-only partition, a value it refuses): left out, as migrate does. */
  readonly unwritable: number;
}

/** Reads each touched key from the source now: the rows it holds (none: deleted, or expired). */
export async function readKeys(context: ApplyContext, reads: readonly TouchedKey[]): Promise<ScannedRow[]> {
  const queries = keyReadQueries(context.table, context.filterCql);
  const statements: KeyRead[] = reads.map((read) => ({
    cql: read.clustering === undefined ? queries.partition : queries.row,
    params: context.codec.keyValuesOf(read.key, read.clustering),
    describe: read.clustering === undefined ? 'a changed partition' : 'a changed row',
  }));
  const rows: ScannedRow[] = [];
  const lanes = Math.max(1, Math.min(context.readConcurrency, statements.length));
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    const mine = statements.filter((_, index) => index % lanes === lane);
    for await (const page of scanKeys({ client: context.cassandra, table: context.table, fetchSize: context.fetchSize, consistency: context.consistency }, mine)) {
      for (let row = 0; row < page.length; row++) rows.push(page.values(row));
      page.release();
    }
  }));
  return rows;
}

/** The key columns' COPY text of a touched key (clustering \N for a whole partition), from the encoder's own lines. */
function keyLine(context: ApplyContext, read: TouchedKey, writer: ChunkWriter): Buffer | undefined {
  const values = context.codec.keyValuesOf(read.key, read.clustering);
  const row: unknown[] = [0n, ...values, ...Array.from({ length: context.table.columns.length - values.length }, () => null)];
  try {
    writer.truncate(0);
    const keyEnd = context.encoder.encode(row, writer);
    const line = writer.take();
    return Buffer.concat([line.subarray(0, keyEnd), NEWLINE]);
  } catch (error) {
    writer.truncate(0);
    // A key the target cannot hold: no row of it was ever written.
    if (error instanceof ValueEncodeError) return undefined;
    throw error;
  }
}

/** The split id c2y.rejects records for rows the live apply left out (a bulk run's splits count from 0). */
const LIVE_SPLIT = -1;

/**
 * The source's rows as COPY lines. A row the target cannot hold is left out and recorded as migrate records it (a
 * static-only partition always; a value only with onError: reject, else the apply stops naming it), so validate
 * explains it rather than calling it missing.
 */
function rowLines(context: ApplyContext, rows: readonly ScannedRow[], writer: ChunkWriter): { lines: Buffer[]; rejects: RejectedRow[] } {
  const firstClustering = context.table.partitionKeys.length + 1;
  const lines: Buffer[] = [];
  const rejects: RejectedRow[] = [];
  for (const row of rows) {
    const token = typeof row[0] === 'bigint' ? row[0] : BigInt(String(row[0]));
    if (context.table.clusteringKeys.length > 0 && (row[firstClustering] === null || row[firstClustering] === undefined)) {
      rejects.push(staticOnlyReject(context.table, LIVE_SPLIT, token, row));
      continue;
    }
    try {
      writer.truncate(0);
      context.encoder.encode(row, writer);
      lines.push(writer.take());
    } catch (error) {
      writer.truncate(0);
      if (!(error instanceof ValueEncodeError)) throw error;
      const reject = rejectOf(error, context.table, LIVE_SPLIT, token, row);
      if (context.onError === 'stop') {
        const key = Object.entries(reject.key).map(([name, value]) => `${name}=${value}`).join(', ');
        throw new C2yError('VALUE_UNREPRESENTABLE', `a changed row (${key}), column "${error.column}": ${error.reason}`, {
          hint: 'set onError: reject to record such rows and go on, or fix the value in Cassandra; nothing of this batch was applied', context: { column: error.column },
        });
      }
      rejects.push(reject);
    }
  }
  return { lines, rejects };
}

/**
 * The temporary table that stages a table's keys on a connection: one per target table, since a keyspace's applies
 * (and a keyspace's cut-over) share one connection and each table's stage has its own key columns.
 */
export function keyStageOf(context: ApplyContext): string {
  const digest = createHash('sha256').update(`${context.targetName.schema}\u0000${context.targetName.table}`).digest('hex').slice(0, 16);
  return `c2y_cdc_keys_${digest}`;
}
const NEWLINE = Buffer.from('\n');

/**
 * Puts the keys into a temporary table of the target's key columns (in the open transaction: emptied at COMMIT) and
 * returns the condition that matches a target row `t` to a key `k` (undefined: no key the target can hold).
 */
export async function stageKeys(context: ApplyContext, target: TargetClient, reads: readonly TouchedKey[]): Promise<string | undefined> {
  const writer = new ChunkWriter(64 * 1024);
  const keys = reads.map((read) => keyLine(context, read, writer)).filter((line): line is Buffer => line !== undefined);
  const keyNames = [...context.table.partitionKeys, ...context.table.clusteringKeys].map((name) => {
    const column = context.table.columns.find((c) => c.name === name);
    return quoteIdent(column ? targetColumnName(column) : name);
  });
  const stage = keyStageOf(context);
  await target.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${keyNames.join(', ')} FROM ${qualifiedName(context.targetName)} WITH NO DATA`);
  if (keys.length === 0) return undefined;
  const copy = CopyIn.start(target, `COPY pg_temp.${stage} (${keyNames.join(', ')}) FROM STDIN`);
  await copy.write(Buffer.concat(keys));
  await copy.finish();
  const partitionNames = keyNames.slice(0, context.table.partitionKeys.length);
  const clusteringNames = keyNames.slice(context.table.partitionKeys.length);
  // A key row with NULL clustering stands for its whole partition (Cassandra's clustering values are never null).
  const rowMatch = clusteringNames.length === 0 ? '' : ` AND (k.${clusteringNames[0]} IS NULL OR (${clusteringNames.map((name) => `t.${name} = k.${name}`).join(' AND ')}))`;
  return `${partitionNames.map((name) => `t.${name} = k.${name}`).join(' AND ')}${rowMatch}`;
}

/**
 * Applies a batch in one target transaction: each touched key's rows are deleted and written again as the source
 * holds them now (read after the change was logged, so they include it), the expiries to watch are added and the due
 * ones taken, and each node's position advances. A crash before COMMIT applies nothing and moves no position; a batch
 * applied again writes the same rows. Last write wins per cell because Cassandra already resolved it on read.
 */
export async function applyBatch(context: ApplyContext, target: TargetClient, batch: ApplyBatch): Promise<ApplyOutcome> {
  // Pending keys come from the store as noted, a partition and its rows side by side: each row must be read once.
  const reads = TouchedKeys.coalesce(batch.reads);
  const rows = await readKeys(context, reads);
  const { lines, rejects } = rowLines(context, rows, new ChunkWriter(64 * 1024));
  await target.query('BEGIN');
  try {
    const match = await stageKeys(context, target, reads);
    if (match !== undefined) await target.query(`DELETE FROM ${qualifiedName(context.targetName)} AS t USING pg_temp.${keyStageOf(context)} AS k WHERE ${match}`);
    if (lines.length > 0) {
      const copy = CopyIn.start(target, copyStatement(context.table, context.targetName));
      await copy.write(Buffer.concat(lines));
      await copy.finish();
    }
    await context.rejects.recordRejects(target, context.runId, rejects);
    await context.store.dropExpiries(target, batch.dueIds);
    await context.store.addExpiries(target, context.stream, batch.expiries.map((expiry) => ({ key: expiry.key, clustering: expiry.clustering ?? null, at: expiry.at })));
    await context.store.addTouched(target, context.stream, batch.reads);
    for (const advance of batch.advances) await context.store.advance(target, context.stream, advance);
    await target.query('COMMIT');
  } catch (error) {
    await target.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { keys: batch.reads.length, rowsWritten: lines.length, unwritable: rejects.length };
}

/**
 * While the bulk copy runs, a batch is only noted: its keys as pending (written once the copy is done, read again
 * then), its expiries, and each node's position, in one transaction. The log is consumed and its segments can be
 * released meanwhile, so cdc_raw does not fill during a long copy; no row of the table is written before the copy's.
 */
export async function collectBatch(context: ApplyContext, target: TargetClient, batch: ApplyBatch): Promise<ApplyOutcome> {
  await target.query('BEGIN');
  try {
    await context.store.addTouched(target, context.stream, batch.reads, true);
    await context.store.addExpiries(target, context.stream, batch.expiries.map((expiry) => ({ key: expiry.key, clustering: expiry.clustering ?? null, at: expiry.at })));
    for (const advance of batch.advances) await context.store.advance(target, context.stream, advance);
    await target.query('COMMIT');
  } catch (error) {
    await target.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { keys: 0, rowsWritten: 0, unwritable: 0 };
}

/**
 * Writes the keys changed while the copy ran, a batch at a time (each read again and written with its pending mark
 * cleared, in one transaction): a crash part-way leaves the rest pending for the next start.
 */
export async function applyPending(context: ApplyContext, target: TargetClient, batchKeys: number): Promise<ApplyOutcome> {
  const total = { keys: 0, rowsWritten: 0, unwritable: 0 };
  for (;;) {
    const keys = await context.store.pendingKeys(target, context.stream, batchKeys);
    if (keys.length === 0) return total;
    const reads = keys.map((row) => (row.clustering === null ? { key: row.key } : { key: row.key, clustering: row.clustering }));
    const outcome = await applyBatch(context, target, { reads, expiries: [], dueIds: [], advances: [] });
    total.keys += outcome.keys;
    total.rowsWritten += outcome.rowsWritten;
    total.unwritable += outcome.unwritable;
  }
}
