import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { createRowEncoder } from '../encode/index.js';
import { CdcStore, CheckpointStore, firstTargetEndpoint, openTarget, RunLock, targetNameOf, type AppliedPosition, type TargetClient } from '../sink/index.js';
import { consistencyCode, describeMappedTable, KeyCodec, openCassandra, parseSourceFilter, sessionOptionsOf, type CassandraClient } from '../source/index.js';
import type { ApplyContext } from './change-applier.js';
import { lagOfAll, LiveApplier, type LiveApplyOptions, type LiveLag } from './live-applier.js';
import { NodeFeed, type CdcNode } from './node-reader.js';
import { TargetSession } from './target-session.js';

/** The target table as the run lock names it (the run identity's target: database.schema.table). */
export function lockTarget(config: C2yConfig): string {
  const name = targetNameOf(config.target, config.source.table);
  return `${config.target.database}.${name.schema}.${name.table}`;
}

/** The name under which a table's live apply keeps its positions: the run identity's source and target. */
export function cdcStreamId(config: C2yConfig): string {
  const target = targetNameOf(config.target, config.source.table);
  return `${config.source.keyspace}.${config.source.table} -> ${config.target.database}.${target.schema}.${target.table}`;
}

export async function applyContext(config: C2yConfig, cassandra: CassandraClient, runId: string): Promise<ApplyContext> {
  if (config.source.tokenRanges.length > 0 || config.source.skipTokenRanges.length > 0) {
    throw new C2yError('CONFIG_INVALID', 'a live apply reads changes of the whole table: source.tokenRanges and source.skipTokenRanges cannot be honoured', {
      hint: 'drop source.tokenRanges / source.skipTokenRanges for a live migration (source.where is honoured)', context: { key: 'source.tokenRanges' },
    });
  }
  const table = await describeMappedTable(cassandra, config);
  const filter = config.source.where === undefined ? undefined : parseSourceFilter(config.source.where, table);
  return {
    table, targetName: targetNameOf(config.target, config.source.table), cassandra, codec: await KeyCodec.create(cassandra, table),
    encoder: createRowEncoder(table, 'text'), consistency: consistencyCode(config.cdcReadConsistency), fetchSize: config.source.fetchSize,
    filterCql: filter?.cql, store: new CdcStore(config.target.checkpointSchema), stream: cdcStreamId(config), readConcurrency: 64,
    runId, rejects: new CheckpointStore(config.target.checkpointSchema), onError: config.onError,
  };
}

/**
 * The capture `migrate --live` recorded: a position on each node named, and no other. A node left out would have its
 * changes skipped without a word; one never captured would miss what was written before now.
 */
async function storedCapture(target: TargetClient, config: C2yConfig, nodes: readonly CdcNode[]): Promise<AppliedPosition[]> {
  const store = new CdcStore(config.target.checkpointSchema);
  await store.ensureTables(target, config.target.checkpointSchema);
  const stream = cdcStreamId(config);
  const stored = await store.readPositions(target, stream);
  const missing = nodes.filter((node) => !stored.some((position) => position.node === node.name)).map((node) => node.name);
  if (missing.length > 0 || stored.length === 0) {
    throw new C2yError('CONFIG_INVALID', `no capture was started on ${missing.join(', ') || 'any node'} for ${stream}: changes from before now would be missed`, {
      hint: 'start with c2y migrate --live (it records where each node\'s log stands before the bulk copy reads), naming the same nodes',
    });
  }
  const unnamed = stored.filter((position) => !nodes.some((node) => node.name === position.node)).map((position) => position.node);
  if (unnamed.length > 0) {
    throw new C2yError('CONFIG_INVALID', `the capture of ${stream} reads ${unnamed.join(', ')} too, which no --cdc-node names: its changes would be skipped`, {
      hint: 'name every node the live migration started with (--cdc-node once each)',
    });
  }
  return stored;
}

/**
 * Applies the table's changes from every node's CDC log as they come, from the positions `migrate --live` recorded
 * before its bulk copy read a page, until the signal (or `until`): see LiveApplier.
 */
export function liveApply(options: LiveApplyOptions): Promise<LiveLag> {
  const { config, ...rest } = options;
  return liveApplyTables({ ...rest, configs: [config] });
}

export interface TablesApplyOptions extends Omit<LiveApplyOptions, 'config'> {
  /** One config a table (a keyspace's tables each by forTable), all of one source keyspace and one target. */
  readonly configs: readonly C2yConfig[];
}

/**
 * Applies the changes of several tables (a keyspace) at once: one agent a node for all of them (a NodeFeed each), one
 * source session, one target connection (each table's batches a transaction at a time), one lock on every table; an
 * apply each (LiveApplier), and the lag of all of them together. A table's apply that fails stops the others.
 */
export async function liveApplyTables(options: TablesApplyOptions): Promise<LiveLag> {
  const first = options.configs[0] as C2yConfig;
  const endpoint = firstTargetEndpoint(first.target);
  // One writer of a table at a time: two appliers could each write a key as they read it, the older read last. A
  // collector writes no row of the table, and runs inside the bulk run that holds the lock.
  const lock = options.collectOnly === true ? undefined : await RunLock.acquire(() => openTarget(endpoint, first.target, 'c2y live apply lock'), first.target.checkpointSchema, options.configs.map(lockTarget));
  const cassandra = await openCassandra(sessionOptionsOf(first.source)).catch(async (error: unknown) => {
    await lock?.release();
    throw error;
  });
  const guard = lock === undefined ? undefined : guardedBy(lock, options);
  try {
    // 'all': an apply runs for as long as the application writes, its batches as large as the changes that came.
    const session = await TargetSession.open(() => openTarget(endpoint, first.target, 'c2y live apply', 'all'));
    try {
      const lag = await applyEach({ ...options, signal: guard?.signal ?? options.signal }, cassandra, session);
      guard?.throwIfLost();
      return lag;
    } finally {
      await session.end();
    }
  } finally {
    await cassandra.shutdown().catch(() => undefined);
    await lock?.release();
  }
}

/**
 * The apply's signal, aborted too when its run lock is lost for good (an apply must not go on unguarded: a second
 * one could write a key it reads); the lock's drops and retakings told through onLockNote.
 */
function guardedBy(lock: RunLock, options: TablesApplyOptions): { readonly signal: AbortSignal; throwIfLost(): void } {
  const lockLost = new AbortController();
  let lost: unknown;
  lock.watchWith({
    dropped: (why) => options.onLockNote?.(`the apply's run lock was dropped with its connection (${why}); taking it again`),
    retaken: (afterMs) => options.onLockNote?.(`the apply's run lock was taken again after ${(afterMs / 1000).toFixed(1)} s`),
    lost: (error) => {
      lost = error;
      lockLost.abort();
    },
  });
  return {
    signal: AbortSignal.any([options.signal, lockLost.signal]),
    throwIfLost: () => {
      if (lost !== undefined) throw lost;
    },
  };
}

/**
 * Each table's apply over shared feeds, stopped together on the caller's signal, the first failure, or (with `until`)
 * once every table has caught up: a table caught up early keeps taking the feed's changes meanwhile, so it stops with
 * the others rather than leave them to a batch nobody applies.
 */
async function applyEach(options: TablesApplyOptions, cassandra: CassandraClient, session: TargetSession): Promise<LiveLag> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const { until, onLag: tell, ...shared } = options;
  const first = options.configs[0] as C2yConfig;
  const tables = options.configs.map((config) => config.source.table);
  const feeds = new Map(options.nodes.map((node) => [node.name, new NodeFeed({ config: first, node, tables, pollMs: options.pollMs ?? 250, signal })]));
  const appliers: LiveApplier[] = [];
  const onLag = (): void => {
    tell?.(lagOfAll(appliers));
    if (until !== undefined && appliers.every((applier) => applier.caughtUpTo(until))) stop.abort();
  };
  for (const config of options.configs) {
    const stored = await storedCapture(session.client, config, options.nodes);
    const context = await applyContext(config, cassandra, (stored[0] as AppliedPosition).runId);
    appliers.push(new LiveApplier(context, session, { ...shared, config, signal, onLag }, stored, feeds));
  }
  let failure: unknown;
  try {
    await Promise.all(appliers.map((applier) => applier.run().catch((error: unknown) => {
      failure ??= error;
      stop.abort();
    })));
  } finally {
    // Every apply has stopped (caught up, or told to): the agents go with them.
    stop.abort();
  }
  if (failure !== undefined) throw failure;
  return lagOfAll(appliers);
}
