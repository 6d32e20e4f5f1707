import { captureEnds, cdcStreamId, liveApplyTables, recordCapture, type ApplyRetry, type CdcNode, type LiveLag, type LogPosition } from '../cdc/index.js';
import type { C2yConfig, KeyspaceConfig, LoadedConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { CdcStore, firstTargetEndpoint, openTarget } from '../sink/index.js';
import { keyspaceTables, openCassandra, sessionOptionsOf } from '../source/index.js';
import { forTable } from './keyspace-plan.js';
import { migrateKeyspace } from './migrate-keyspace.js';
import { migrate, type MigrateOptions, type MigrateResult, type TableReadStart } from './migrate.js';

export interface LiveMigrateOptions extends Omit<MigrateOptions, 'loaded'> {
  /** One table, or the chosen tables of a keyspace (one run, one agent a node for all of them). */
  readonly subject: { readonly loaded: LoadedConfig } | { readonly keyspace: KeyspaceConfig; readonly skipUnsupported: boolean };
  /** Every node of the source's data center whose log holds the tables' changes (each replica logs its own). */
  readonly nodes: readonly CdcNode[];
  readonly enableCdc: boolean;
  /** Stop once every change written before the apply began is applied (scripts and tests); else apply until Ctrl-C. */
  readonly untilCaughtUp: boolean;
  readonly onLag?: (lag: LiveLag) => void;
  /** Told when the capture during the copy stopped with an error (the apply after the copy reads on from its positions). */
  readonly onCollectFailed?: (error: unknown) => void;
  /** Told when a step of the capture or the apply failed and is tried again (a dropped target connection, say). */
  readonly onApplyRetry?: (retry: ApplyRetry) => void;
  /** Told when the apply's run lock is dropped with its connection, and when it is taken again. */
  readonly onApplyLockNote?: (note: string) => void;
  /** Told when the bulk copy is done (its run folder) and changes start to be applied. */
  readonly onApplying?: (runFolder: string) => Promise<void>;
}

export interface LiveMigrateResult extends MigrateResult {
  /** The lag when the apply stopped; absent when the bulk copy did not finish (nothing was applied). */
  readonly lag?: LiveLag;
}

function checkLive(options: LiveMigrateOptions): void {
  if (options.nodes.length === 0) {
    throw new C2yError('CONFIG_INVALID', 'migrate --live reads each Cassandra node\'s CDC log: name the nodes', {
      hint: 'give --cdc-node once per node of the source\'s data center (its Cassandra home, or <cassandra.yaml>,<lib folder>) where those files are, or --cdc-published-node for a node whose c2y cdc agent --publish writes to --redis',
    });
  }
}

/**
 * A migration of tables that are being written: capture starts (each node's log position recorded in the target, for
 * each table) before the bulk copy reads its first page; while the copy runs as `migrate` does, the logs are consumed
 * into the sets of changed keys; then those keys are written as the source holds them, and every new change as it
 * comes. A bulk copy that does not finish applies nothing: resume it (`--resume` keeps the recorded positions) and the
 * apply follows.
 */
export async function migrateLive(options: LiveMigrateOptions): Promise<LiveMigrateResult> {
  checkLive(options);
  const { subject } = options;
  // One table: where the logs end is taken before the run is chosen, so a setup error refuses it with nothing changed
  // (a keyspace's tables are known once chosen, and are captured before the run is recorded).
  const tableEnds = 'loaded' in subject ? await captureEnds(subject.loaded.config, options.nodes, options.enableCdc) : undefined;
  const collector = new AbortController();
  let collecting: Promise<unknown> = Promise.resolve();
  let configs: C2yConfig[] = [];
  const beforeRead = async (tables: readonly TableReadStart[]): Promise<void> => {
    configs = tables.map((table) => table.config);
    const ends = tableEnds ?? await captureEnds(configs[0] as C2yConfig, options.nodes, options.enableCdc, configs.map((config) => config.source.table));
    await recordCaptures(tables, ends);
    // Consumes the logs while the copy runs (keys noted, positions committed, segments released), so cdc_raw does
    // not fill during a long copy. Should it fail, nothing is lost: the apply after the copy reads on from its positions.
    // A finished run (resumed to go on applying) reads nothing: no collector to start and stop at once.
    if (tables.every((table) => table.splitsLeft === 0)) return;
    collecting = liveApplyTables({ configs, nodes: options.nodes, signal: collector.signal, collectOnly: true, ...(options.onApplyRetry ? { onRetry: options.onApplyRetry } : {}) })
      .catch((error: unknown) => options.onCollectFailed?.(error));
  };
  const copying = 'loaded' in subject ? migrate({ ...options, loaded: subject.loaded, beforeRead }) : migrateKeyspace({ ...options, ...subject, beforeRead });
  const result = await copying.finally(async () => {
    collector.abort();
    await collecting;
  });
  if (result.report.status !== 'finished' || options.signal.aborted) return result;
  await options.onApplying?.(result.runFolder);
  const lag = await liveApplyTables({
    configs, nodes: options.nodes, signal: options.signal, ...(options.untilCaughtUp ? { until: Date.now() } : {}), ...(options.onLag ? { onLag: options.onLag } : {}),
    ...(options.onApplyRetry ? { onRetry: options.onApplyRetry } : {}),
    ...(options.onApplyLockNote ? { onLockNote: options.onApplyLockNote } : {}),
  });
  return { ...result, lag };
}

async function recordCaptures(tables: readonly TableReadStart[], ends: ReadonlyMap<string, LogPosition>): Promise<void> {
  for (const table of tables) await recordCapture(table.config, ends, table);
}

/** The tables of a keyspace a cut-over covers: those chosen with a live migration recorded, and those without one. */
export interface LiveTables {
  readonly live: readonly C2yConfig[];
  /** Chosen tables with no live migration recorded in this target: not captured, so not checked. */
  readonly notLive: readonly string[];
}

/** The chosen tables of a keyspace (as migrate chooses them) split by whether a live migration of each is recorded. */
export async function liveTablesOf(config: KeyspaceConfig): Promise<LiveTables> {
  const chosen = await chosenTables(config);
  const target = await openTarget(firstTargetEndpoint(config.target), config.target, 'c2y cutover');
  try {
    const store = new CdcStore(config.target.checkpointSchema);
    await store.ensureTables(target, config.target.checkpointSchema);
    const live: C2yConfig[] = [];
    const notLive: string[] = [];
    for (const tableConfig of chosen) {
      if ((await store.readPositions(target, cdcStreamId(tableConfig))).length > 0) live.push(tableConfig);
      else notLive.push(tableConfig.source.table);
    }
    if (live.length === 0) {
      throw new C2yError('CUTOVER_NOT_READY', `no live migration of any table of ${config.source.keyspace} is recorded in this target`, {
        hint: 'start one with c2y migrate --live --keyspace, or cut over by scan a table at a time: c2y cutover --table',
      });
    }
    return { live, notLive };
  } finally {
    await target.end().catch(() => undefined);
  }
}

/** The tables of a keyspace as migrate chooses them (source.tables, source.excludeTables), each with its config. */
export async function chosenTables(config: KeyspaceConfig): Promise<C2yConfig[]> {
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  try {
    const chosen = await keyspaceTables(cassandra, config.source.keyspace, config.source);
    return chosen.tables.map((table) => forTable(config, table));
  } finally {
    await cassandra.shutdown().catch(() => undefined);
  }
}
