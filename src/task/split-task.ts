import type { C2yConfig } from '../config/index.js';
import type { CopyFormat, RowEncoder } from '../encode/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import type { Split } from '../plan/index.js';
import type { SourceTable, TargetName } from '../schema/index.js';
import {
  copyFailed, openTarget, serverOfSetup, sessionSetupStatements,
  type CheckpointStore, type IdleConnections, type MergeStage, type ServerInfo, type SplitCheckpoint, type TargetClient, type TargetEndpoint,
} from '../sink/index.js';
import { KeyCodec, type CassandraClient, type CellDecoder, type SourceSelection } from '../source/index.js';
import type { RunEvent, SplitConnectionKind } from '../observe/index.js';
import type { LatencyHistogram } from '../telemetry/index.js';
import type { ThrottleShares } from './stream-throttle.js';
import type { TableRawEncoder } from './page-encoders.js';
import { EarlyScan } from './split-scan.js';
import { SplitStream } from './split-stream.js';

/** What every task of an executor's table shares: one Cassandra session, the table, the encoders. */
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
  /** Each commit's check that the target table is as planned (targetShapeCheck), and the table for its message. */
  readonly targetShape?: { readonly check: string; readonly target: TargetName };
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

/**
 * One split → one connection → one COPY stream at a time (SplitStream), committed with the split's checkpoint. The
 * connection goes back to the executor's idle ones only when the split ended with its last commit.
 */
export async function runSplitTask(context: TaskContext, input: SplitTaskInput): Promise<number> {
  const { split, endpoint, signal } = input;
  // A partition of more than copyFlushEvery rows commits part-way, at a clustering position (needs clustering
  // columns). The codec reads the table's metadata (several round trips the first time in an executor): asked while
  // the target connection opens, not after it.
  const codecLoading = context.table.clusteringKeys.length > 0 ? KeyCodec.create(context.cassandra, context.table) : undefined;
  codecLoading?.catch(() => undefined);
  const early = new EarlyScan(context, split, input.attempt);
  const opened = await openForSplit(context, endpoint, split.id).catch((error: unknown) => {
    early.drop();
    throw error instanceof C2yError ? error : copyFailed(error, { split: split.id, node: endpoint.key });
  });
  const { client, server, checkpoint } = opened;
  let stream: SplitStream | undefined;
  let clean = false;
  try {
    if (checkpoint.done) {
      await client.query('ROLLBACK');
      context.emit({ type: 'split-finished', splitId: split.id, rows: 0, executor: context.executor });
      clean = true;
      return 0;
    }
    context.emit({ type: 'split-started', splitId: split.id, attempt: input.attempt, executor: context.executor, node: endpoint.key, serverAddress: server.serverAddress, connection: opened.connection, resumedFrom: checkpoint.lastToken === null ? null : `${checkpoint.lastToken}${checkpoint.position ? ' (inside its partition)' : ''}` });
    const codec = await codecLoading;
    stream = new SplitStream(context, input, opened, codec, early);
    const total = await stream.run();
    context.emit({ type: 'split-finished', splitId: split.id, rows: total, executor: context.executor });
    clean = stream.clean;
    return total;
  } catch (error) {
    if (stream) await stream.abandon(signal.aborted ? 'c2y: interrupted' : `c2y: ${messageOf(error)}`);
    else await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof C2yError) throw error;
    throw copyFailed(error, { split: split.id, node: endpoint.key });
  } finally {
    // Not taken when the split was done already, or failed before its stream read.
    early.drop();
    stream?.release();
    if (clean && context.connections) context.connections.give(endpoint.key, { client, server });
    else await client.end().catch(() => undefined);
  }
}

/** A split's connection as it began: its server, its checkpoint, the round trips that took, and where it came from. */
interface SplitOpening {
  readonly client: TargetClient;
  readonly server: ServerInfo;
  readonly checkpoint: SplitCheckpoint;
  readonly roundTrips: number;
  readonly connection: SplitConnectionKind;
}

/**
 * The split's connection and checkpoint: on a connection an earlier split of this executor left on the node, or one
 * opened while the run was planned, when there is one, else on a new one. A set-up connection costs the checkpoint's
 * round trip only; a connection no split used yet sends its session's set-up in that same round trip. A kept
 * connection that fails its first query (the server restarted, or ended it, while it waited) is dropped for a new one.
 */
async function openForSplit(context: TaskContext, endpoint: TargetEndpoint, splitId: number): Promise<SplitOpening> {
  const kept = await context.connections?.take(endpoint.key);
  if (kept) {
    try {
      return { ...await beginSplit(context, kept.client, kept.server, splitId, 0), connection: kept.server === undefined ? 'openedAhead' : 'kept' };
    } catch {
      await kept.client.end().catch(() => undefined);
    }
  }
  // 'none': the split's first message sets the session up, the timeouts' lift included (session-setup.ts).
  const client = await openTarget(endpoint, context.config.target, splitConnectionName(context, splitId), 'none');
  try {
    // Connecting: the TCP handshake and the start-up's answer (more with TLS or a password).
    return { ...await beginSplit(context, client, undefined, splitId, 2), connection: 'new' };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

const splitConnectionName = (context: TaskContext, splitId: number): string => `c2y ${context.runId} split ${splitId}`;

/** The staging table where the run merges, then BEGIN and the checkpoint (with the session's set-up on a new session). */
async function beginSplit(context: TaskContext, client: TargetClient, known: ServerInfo | undefined, splitId: number, connecting: number): Promise<Omit<SplitOpening, 'connection'>> {
  const staged = await context.stage?.prepare(client) ?? 0;
  const setup = known === undefined ? sessionSetupStatements(splitConnectionName(context, splitId)) : [];
  const opened = await context.store.beginAndReadCheckpoint(client, context.runId, splitId, setup);
  const server = known ?? serverOfSetup(opened.setup);
  return { client, server, checkpoint: opened.checkpoint, roundTrips: connecting + staged + 1 };
}
