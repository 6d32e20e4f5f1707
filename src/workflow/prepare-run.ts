import type { C2yConfig, LoadedConfig } from '../config/index.js';
import { chooseCopyFormat, type ChosenCopyFormat, type WantedCopyFormat } from '../encode/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import type { Logger } from '../observe/index.js';
import { ringCoverageProblem, splitFromJson, splitToJson, type PartitionCounts, type Split, type SplitJson, type TokenSelection } from '../plan/index.js';
import { qualifiedName, targetColumnName, targetSqlType, withWrittenSince, type SourceTable, type TargetName } from '../schema/index.js';
import {
  CheckpointStore, checkMergeKey, chooseEndpoints, ConnectionBalancer, medianMs, describeServer, ensureTargetTable, isReachable, listYbServers, openTarget, parseTargetHosts,
  RunLock, targetColumnTypes, targetNameOf, withTargetColumns, type TargetColumnType, type OnExisting, type Queryable, type RunRecord, type ServerInfo, type TargetClient, type TargetEndpoint,
} from '../sink/index.js';
import {
  checkPartitioner, describeMappedTable, openCassandra, readPartitioner, selectionRecord, sessionOptionsOf, sourceSelection,
  type CassandraClient, type SourceSelection, type TableSizeEstimate,
} from '../source/index.js';
import { checkClockSkew } from './clock-skew.js';
import { newRunId } from './run-id.js';
import { prepareFailed } from './prepare-failed.js';
import { measureTable, splitsOf, type TableMeasure } from './measure-table.js';
import { checkMemoryPlan, plannedFigures, type PlannedFigures } from './run-plan.js';

/** What a run records in the target when it starts, so a resume uses the same splits. */
export interface StoredPlan {
  readonly counts: PartitionCounts;
  readonly estimatedRows: number;
  readonly averageRowBytes: number;
  /** Heap bytes per decoded driver row (absent in runs recorded before it was measured). */
  readonly decodedRowBytes?: number;
  readonly sizeDetail: string;
  readonly splits: readonly SplitJson[];
  /** The columns the run moves, as mappedColumns says (absent in runs recorded before column mapping). */
  readonly columns?: string;
  /** source.tokenRanges/skipTokenRanges/where as selectionRecord says; absent: the whole table. */
  readonly selection?: string;
  /** target.onExisting the run started with (absent: refuse, as runs recorded before it). */
  readonly onExisting?: OnExisting;
  /** skip or update: the target's row count when the run was recorded (null: too large to count cheaply). */
  readonly existingRows?: number | null;
  /** A catch-up: the run it catches up from, and its cut-off (that run's start less the margin), in µs since the epoch. */
  readonly catchup?: { readonly basisRunId: string; readonly sinceMicros: number };
}

/** Which source columns go to which target columns and types, and the constants: one line a resume must match. */
export function mappedColumns(table: SourceTable): string {
  return JSON.stringify([
    table.columns.map((column) => [column.name, targetColumnName(column), targetSqlType(column)]),
    (table.constants ?? []).map((constant) => [constant.name, constant.value]),
  ]);
}

export interface PreparedRun {
  readonly runId: string;
  readonly resumed: boolean;
  readonly table: SourceTable;
  readonly target: TargetName;
  readonly server: ServerInfo;
  readonly endpoints: readonly TargetEndpoint[];
  readonly balancer: ConnectionBalancer;
  readonly plan: StoredPlan;
  readonly allSplits: readonly Split[];
  readonly pendingSplits: readonly Split[];
  readonly doneSplitIds: readonly number[];
  readonly rowsBefore: number;
  readonly store: CheckpointStore;
  readonly admin: TargetClient;
  /** This driver's hold on the target table for the whole run; the caller releases it when the run has ended. */
  readonly lock: RunLock;
  /** The planner's figures for this run (memory, connections, model throughput), checked before it starts. */
  readonly planned: PlannedFigures;
  readonly targetTableCreated: boolean;
  /** COPY text or binary for this run, and why (target.copyFormat and the target's column types). */
  readonly copyFormat: ChosenCopyFormat;
  /** Records a new run (and empties the table on --restart): done by prepareRun unless PrepareOptions.deferCreate. */
  readonly create: () => Promise<void>;
}

export interface PrepareOptions {
  readonly loaded: LoadedConfig;
  /** true: the newest unfinished run of this table; a string: that run. */
  readonly resume: boolean | string;
  /** Empty the target table and abandon unfinished runs before starting anew. */
  readonly restart: boolean;
  readonly logger: Logger;
  /** A keyspace run's: the lock it holds on all its tables (else the run takes and its caller releases its own). */
  readonly lock?: RunLock;
  /** A keyspace run's: the source session it plans every table with (else one is opened and closed here). */
  readonly cassandra?: CassandraClient;
  /** A keyspace run's: the id this table's run gets, and where its split ids start (unique across the run). */
  readonly runId?: string;
  readonly splitIdBase?: number;
  /** Leave recording a new run to the caller (PreparedRun.create), once every table of a keyspace is prepared. */
  readonly deferCreate?: boolean;
  /** `c2y catchup`: a new run writes only rows written since the newest finished run began, less this margin. */
  readonly catchup?: { readonly marginSeconds: number };
}

export async function connectAdmin(endpoints: readonly TargetEndpoint[], loaded: LoadedConfig): Promise<TargetClient> {
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      return await openTarget(endpoint, loaded.config.target, 'c2y driver');
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** YugabyteDB's own node list, each node by an address this machine reaches (target.discovery: auto). */
async function discoveredEndpoints(admin: TargetClient, configured: TargetEndpoint[], addressMap: Readonly<Record<string, string>>, log: Logger): Promise<TargetEndpoint[]> {
  const servers = await listYbServers(admin).catch((error: unknown) => {
    log.warn('yb_servers() could not be read: using the configured target.hosts', { error: messageOf(error) });
    return [];
  });
  if (servers.length === 0) return configured;
  const reachable = (host: string, port: number): Promise<boolean> => {
    const dial = /^(.*):(\d+)$/.exec(addressMap[`${host}:${port}`] ?? `${host}:${port}`);
    return isReachable(dial?.[1] ?? host, Number(dial?.[2] ?? port), 2000);
  };
  const outcome = await chooseEndpoints(configured, servers, reachable);
  for (const note of outcome.notes) log.warn('target discovery', { note });
  return [...outcome.endpoints];
}

/** How c2y.runs names a run's source and target table: keyspace.table → database.schema.table. */
export function runIdentity(config: C2yConfig): { readonly sourceId: string; readonly targetId: string } {
  const target = targetNameOf(config.target, config.source.table);
  return { sourceId: `${config.source.keyspace}.${config.source.table}`, targetId: `${config.target.database}.${target.schema}.${target.table}` };
}

/** The target as the plan first asks it: the driver's connection, which server it is, and its round trip. */
interface ReachedTarget {
  readonly admin: TargetClient;
  readonly server: ServerInfo;
  readonly targetRttMs: number;
}

async function reachTarget(endpoints: readonly TargetEndpoint[], loaded: LoadedConfig): Promise<ReachedTarget> {
  const admin = await connectAdmin(endpoints, loaded);
  try {
    const server = await describeServer(admin);
    return { admin, server, targetRttMs: await medianMs(() => admin.query('SELECT 1')) };
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Everything that must hold before the first row moves: a wrong name or an unreachable node fails here. The two
 * sides are asked at once where nothing orders them (over a WAN each question is a round trip): the target is
 * reached while Cassandra is opened and read, and a new run's table is measured while the target is checked. The
 * source's errors are still the ones heard first, and nothing is written to the target before the source checked out.
 */
export async function prepareRun(options: PrepareOptions): Promise<PreparedRun> {
  const { config } = options.loaded;
  const hosts = parseTargetHosts(config.target.hosts, config.target.port);
  const early: EarlyTarget = {
    hosts,
    target: new OpenedAhead(reachTarget(hosts, options.loaded), (target) => target.admin.end()),
    // The lock's own connection (a run that brings its lock opens none).
    lock: options.lock ? undefined : new OpenedAhead(connectAdmin(hosts, options.loaded), (client) => client.end()),
  };
  try {
    const cassandra = options.cassandra ?? await openCassandra(sessionOptionsOf(config.source));
    return await prepareWith(options, cassandra, early);
  } finally {
    // What prepareWith did not take (the source failed first) ends here; what it took, it closes or hands on.
    early.target.closeUntaken();
    early.lock?.closeUntaken();
  }
}

/** The target connections opened while the source is read: the driver's own, and the run lock's. */
interface EarlyTarget {
  /** target.hosts as configured: what both were opened on. */
  readonly hosts: readonly TargetEndpoint[];
  readonly target: OpenedAhead<ReachedTarget>;
  readonly lock: OpenedAhead<TargetClient> | undefined;
}

/** Something opened ahead of its use: taken once by whoever needs it, else closed when preparing ends. */
class OpenedAhead<T> {
  private taken = false;

  constructor(private readonly opening: Promise<T>, private readonly close: (value: T) => Promise<void>) {
    // Heard where it is taken (after the source's checks), or never.
    opening.catch(() => undefined);
  }

  get available(): boolean {
    return !this.taken;
  }

  take(): Promise<T> {
    this.taken = true;
    return this.opening;
  }

  /** Unwaited, so the source's error is not held back by a target still timing out. */
  closeUntaken(): void {
    if (this.taken) return;
    this.taken = true;
    void this.opening.then(this.close, () => undefined).catch(() => undefined);
  }
}

async function prepareWith(options: PrepareOptions, cassandra: CassandraClient, early: EarlyTarget): Promise<PreparedRun> {
  const { config } = options.loaded;
  const log = options.logger;
  const measureStop = new AbortController();
  try {
    checkPartitioner(await readPartitioner(cassandra));
    const described = await describeMappedTable(cassandra, config);
    // What of the table is read: refused here, before the target is touched, when it names what is not there.
    const selection = sourceSelection(config, described);
    // A new run's measure (16 counts, the nodes' estimates, a sample) goes on while the target is checked; a refusal
    // meanwhile (another driver's lock, an unfinished run) stops it, so the session closes without waiting on it.
    const measuring = options.resume === false ? measureTable(cassandra, config, described, selection, measureStop.signal) : undefined;
    measuring?.catch(() => undefined);
    const target = targetNameOf(config.target, config.source.table);
    let endpoints = [...early.hosts];
    const { admin, server, targetRttMs } = await early.target.take();
    let lock: RunLock | undefined;
    try {
      const planOf = (splitCount: number, plan: StoredPlan): PlannedFigures => plannedFigures(config, {
        // Runs recorded before decoded sizes were sampled: a decoded row is taken as ~4× its COPY text.
        splits: splitCount, averageRowBytes: plan.averageRowBytes, decodedRowBytes: plan.decodedRowBytes ?? plan.averageRowBytes * 4,
        targetNodes: endpoints.length, targetRttMs, cellsPerRow: described.columns.length,
      });
      const checked = await checkTarget({ admin, server, configured: endpoints }, described, target, options);
      endpoints = checked.endpoints;
      const { store, tableResult, copyFormat } = checked;
      // Each commit checks the target's columns against these: what the format and encoders were chosen for.
      const table = withTargetColumns(described, checked.columnTypes);

      const { sourceId, targetId } = runIdentity(config);
      // Before anything is read or decided about the table: a second driver must refuse here, not race us.
      // Its first connection was opened with the admin's; a lock that reconnects later opens its own.
      const lockConnect = (): Promise<TargetClient> => (early.lock?.available === true ? early.lock.take() : connectAdmin(endpoints, options.loaded));
      lock = options.lock ?? await RunLock.acquire(lockConnect, config.target.checkpointSchema, targetId);
      const balancer = new ConnectionBalancer(endpoints, config.target.loadBalance, config.target.maxConnectionsPerNode);

      // --resume without an id: continue the newest run; if there is none (a crash before the run was recorded), start one.
      const resumable = await runToResume(options, store, admin, { sourceId, targetId });
      if (resumable) {
        return await resumeRun(resumable, { options, table, selection, target, server, endpoints, balancer, store, admin, lock, tableResult, copyFormat, planOf, sourceId, targetId });
      }
      if (options.resume === true) log.info('no earlier run of this table; starting a new one', { source: sourceId, target: targetId });

      return await startNewRun({ options, table, selection, target, server, endpoints, balancer, store, admin, lock, tableResult, copyFormat, planOf, sourceId, targetId }, cassandra, measuring);
    } catch (error) {
      if (!options.lock) await lock?.release();
      await admin.end().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    if (error instanceof C2yError) throw error;
    throw prepareFailed('the run', error);
  } finally {
    measureStop.abort();
    if (!options.cassandra) await cassandra.shutdown().catch(() => undefined);
  }
}

/** --resume with an id: that run (refused if there is none); without one: the newest of this table, if any. */
async function runToResume(options: PrepareOptions, store: CheckpointStore, admin: TargetClient, ids: { sourceId: string; targetId: string }): Promise<RunRecord | undefined> {
  if (options.resume === false) return undefined;
  if (typeof options.resume !== 'string') return store.findLatestRun(admin, ids.sourceId, ids.targetId);
  const run = await store.findRun(admin, options.resume);
  if (!run) {
    throw new C2yError('RUN_NOT_FOUND', `no run ${options.resume} in ${options.loaded.config.target.checkpointSchema}.runs`, { hint: 'run the same command without an id after --resume, or without --resume to start a new run' });
  }
  return run;
}

/** What the target checks established, which a resumed run and a new one both build on. */
interface CheckedRun {
  readonly options: PrepareOptions;
  readonly table: SourceTable;
  readonly selection: SourceSelection;
  readonly target: TargetName;
  readonly server: ServerInfo;
  readonly endpoints: readonly TargetEndpoint[];
  readonly balancer: ConnectionBalancer;
  readonly store: CheckpointStore;
  readonly admin: TargetClient;
  readonly lock: RunLock;
  readonly tableResult: { readonly created: boolean };
  readonly copyFormat: ChosenCopyFormat;
  readonly planOf: (splitCount: number, plan: StoredPlan) => PlannedFigures;
  readonly sourceId: string;
  readonly targetId: string;
}

/** The recorded run, checked against this config, with its splits, what is done, and its status set to running. */
async function resumeRun(run: RunRecord, checked: CheckedRun): Promise<PreparedRun> {
  const { options, table, selection, target, server, endpoints, balancer, store, admin, lock, tableResult, copyFormat, planOf, sourceId, targetId } = checked;
  const { config } = options.loaded;
  const log = options.logger;
  // catchup --resume continues a pass; a bulk run is resumed by migrate (and never timed as a pass).
  if (options.catchup && (run.plan as StoredPlan).catchup === undefined) {
    throw new C2yError('RUN_NOT_FOUND', `run ${run.runId} (${run.status}) is a bulk run, not a catch-up pass: there is no pass to resume`, {
      hint: run.status === 'finished' ? 'run c2y catchup without --resume to start a pass' : 'finish it with c2y migrate --resume, then run c2y catchup',
    });
  }
  const plan = checkResumable(run, { sourceId, targetId, target, table, selection, onExisting: config.target.onExisting });
  if (!options.lock) await lock.record(run.runId);
  const allSplits = plan.splits.map(splitFromJson);
  assertCoversRing(allSplits, run.runId, selection.tokens);
  const checkpoints = await store.readCheckpoints(admin, run.runId);
  const done = new Set(checkpoints.filter((c) => c.done).map((c) => c.splitId));
  const rowsBefore = checkpoints.reduce((sum, c) => sum + c.rows, 0);
  const planned = planOf(allSplits.length, plan);
  checkMemoryPlan(config, planned, log);
  if (run.status === 'finished') log.info('run already finished; nothing to resume', { runId: run.runId, rows: rowsBefore });
  else {
    await store.setRunStatus(admin, run.runId, 'running');
    log.info('resuming run', { runId: run.runId, splitsDone: done.size, splitsTotal: allSplits.length, rowsCommitted: rowsBefore });
  }
  return {
    runId: run.runId, resumed: true, table: plan.catchup ? withWrittenSince(table, plan.catchup.sinceMicros) : table, target, server, endpoints, balancer, plan, allSplits,
    pendingSplits: allSplits.filter((split) => !done.has(split.id)), doneSplitIds: [...done],
    rowsBefore, store, admin, lock, planned, targetTableCreated: tableResult.created, copyFormat, create: async () => undefined,
  };
}

/**
 * A new run: refused if an unfinished one would be left behind (unless --restart), the table measured (the measure
 * may have begun already), its splits cut, and its record made now or by the caller (deferCreate).
 */
async function startNewRun(checked: CheckedRun, cassandra: CassandraClient, measuring: Promise<TableMeasure> | undefined): Promise<PreparedRun> {
  const { options, table, selection, target, server, endpoints, balancer, store, admin, lock, tableResult, copyFormat, planOf, sourceId, targetId } = checked;
  const { config } = options.loaded;
  const log = options.logger;
  const unfinished = await store.findUnfinishedRun(admin, sourceId, targetId);
  if (unfinished && !options.restart) {
    throw new C2yError('RUN_UNFINISHED', `run ${unfinished.runId} of ${sourceId} → ${targetId} (status ${unfinished.status}) has not finished`, {
      hint: `add --resume to continue it, or --restart to empty ${qualifiedName(target)} and start over`,
    });
  }
  // --restart empties the table only when the new run is recorded (createRun), once planning and checks passed.
  const existingRows = options.restart ? 0 : await rowsAlreadyThere(admin, target, config.target.onExisting);

  const catchup = options.catchup ? await catchupFrom(store, admin, { sourceId, targetId }, options.catchup.marginSeconds) : undefined;
  if (catchup && options.catchup) {
    const skewMs = await checkClockSkew(cassandra, admin, options.catchup.marginSeconds);
    log.info('catching up', { from: catchup.basisRunId, since: new Date(catchup.sinceMicros / 1000).toISOString(), clockSkewMs: Math.round(skewMs) });
  }
  const newPlan = await planNewRun(cassandra, { config, table, selection, log, splitIdBase: options.splitIdBase ?? 0 }, measuring ?? measureTable(cassandra, config, table, selection));
  const { splits, size } = newPlan;
  const plan: StoredPlan = config.target.onExisting === 'refuse' ? newPlan.plan : { ...newPlan.plan, onExisting: config.target.onExisting, existingRows, ...(catchup ? { catchup } : {}) };
  const planned = planOf(splits.length, plan);
  checkMemoryPlan(config, planned, log);
  const runId = options.runId ?? newRunId();
  const create = async (): Promise<void> => {
    if (!options.lock) await lock.record(runId);
    const superseded = await store.createRun(admin, {
      runId, source: sourceId, target: targetId, plan, splitIds: splits.map((s) => s.id), ...(options.restart ? { restart: { table: qualifiedName(target) } } : {}),
    });
    if (options.restart) log.warn('restart: emptied the target table and superseded the earlier runs', { table: qualifiedName(target), superseded: superseded.join(',') || null });
    log.info('planned', { runId, rows: plan.estimatedRows, size: size.detail, requested: plan.counts.requested, tokenSplits: plan.counts.tokenSplits, effective: plan.counts.effective, why: plan.counts.reason });
  };
  if (!options.deferCreate) await create();
  return {
    runId, resumed: false, table: catchup ? withWrittenSince(table, catchup.sinceMicros) : table, target, server, endpoints, balancer, plan, allSplits: splits, pendingSplits: splits, doneSplitIds: [],
    rowsBefore: 0, store, admin, lock, planned, targetTableCreated: tableResult.created, copyFormat, create,
  };
}

/** The target's nodes (YugabyteDB's own list), c2y's tables, the target table, the COPY format and a merge's key. */
async function checkTarget(reached: { admin: TargetClient; server: ServerInfo; configured: TargetEndpoint[] }, table: SourceTable, target: TargetName, options: PrepareOptions): Promise<{ endpoints: TargetEndpoint[]; store: CheckpointStore; tableResult: { created: boolean }; copyFormat: ChosenCopyFormat; columnTypes: ReadonlyMap<string, TargetColumnType> }> {
  const { config } = options.loaded;
  const log = options.logger;
  const { admin, server } = reached;
  let endpoints = reached.configured;
  if (server.dialect === 'yugabyte' && config.target.loadBalance && config.target.discovery === 'auto') {
    endpoints = await discoveredEndpoints(admin, endpoints, config.target.addressMap, log);
  }
  log.info('target', { server: server.dialect, version: server.version.split(' ').slice(0, 2).join(' '), nodes: endpoints.map((e) => e.key).join(',') });
  const store = new CheckpointStore(config.target.checkpointSchema);
  await store.ensureTables(admin);
  const tableResult = await ensureTargetTable(admin, table, target, server.dialect, config.target.createTable);
  if (tableResult.created) log.info('created target table', { table: qualifiedName(target) });
  const columnTypes = await targetColumnTypes(admin, target);
  const copyFormat = decideCopyFormat(table, columnTypes, target, config.target.copyFormat);
  log.info('copy format', { format: copyFormat.format, why: copyFormat.reason });
  if (config.target.onExisting !== 'refuse') await checkMergeKey(admin, table, target, config.target.onExisting);
  return { endpoints, store, tableResult, copyFormat, columnTypes };
}

/** Why `run` cannot be resumed with this config (another table, superseded, another mapping or selection); its plan if it can. */
function checkResumable(run: RunRecord, wanted: { sourceId: string; targetId: string; target: TargetName; table: SourceTable; selection: SourceSelection; onExisting: OnExisting }): StoredPlan {
  const { sourceId, targetId, target, table, selection } = wanted;
  if (run.source !== sourceId || run.target !== targetId) {
    throw new C2yError('RUN_NOT_FOUND', `run ${run.runId} moved ${run.source} → ${run.target}, not ${sourceId} → ${targetId}`, { hint: 'resume with the config that started that run' });
  }
  if (run.status === 'superseded') {
    throw new C2yError('RUN_SUPERSEDED', `run ${run.runId} was superseded by a --restart that emptied ${qualifiedName(target)}; its checkpoints no longer describe the table`, {
      hint: 'resume the newest run instead (--resume without an id), or start over with --restart',
    });
  }
  const plan = run.plan as StoredPlan;
  // Rows already committed hold the mapping the run started with: another would mix two shapes in one table.
  if (plan.columns !== undefined && plan.columns !== mappedColumns(table)) {
    throw new C2yError('CONFIG_INVALID', `run ${run.runId} started with another column mapping (columns): its committed rows have that shape`, {
      hint: 'resume with the columns setting that started the run, or start over with --restart',
      context: { key: 'columns' },
    });
  }
  // Its splits were cut, and its rows read, for one selection: another would leave rows out or add some.
  if (plan.selection !== selectionRecord(selection)) {
    throw new C2yError('CONFIG_INVALID', `run ${run.runId} started with ${plan.selection === undefined ? 'the whole table' : `another selection (${plan.selection})`}, not ${selectionRecord(selection) ?? 'the whole table'}`, {
      hint: 'resume with the source.tokenRanges, source.skipTokenRanges and source.where that started the run, or start over with --restart',
      context: { key: 'source.where' },
    });
  }
  // Its committed rows were merged (or copied straight in) one way; the rest must go the same way.
  const started = plan.onExisting ?? 'refuse';
  if (started !== wanted.onExisting) {
    throw new C2yError('CONFIG_INVALID', `run ${run.runId} started with target.onExisting ${started}, not ${wanted.onExisting}`, {
      hint: `resume with --on-existing ${started}, or start over with --restart`,
      context: { key: 'target.onExisting' },
    });
  }
  return plan;
}

/**
 * A catch-up's cut-off: the newest finished run of this source → target (a bulk copy, or the last catch-up) began
 * at its record's time; rows written before that, less the margin for clocks (Cassandra's write times come from its
 * clients' clocks, the record's from the target's), were in the table it read.
 */
async function catchupFrom(store: CheckpointStore, admin: Queryable, ids: { sourceId: string; targetId: string }, marginSeconds: number): Promise<{ basisRunId: string; sinceMicros: number }> {
  const basis = await store.findLatestFinishedRun(admin, ids.sourceId, ids.targetId);
  if (!basis) {
    throw new C2yError('RUN_NOT_FOUND', `no finished run of ${ids.sourceId} → ${ids.targetId} to catch up from`, {
      hint: 'run c2y migrate first (a catch-up writes what changed since a finished run began), and let it finish',
    });
  }
  return { basisRunId: basis.runId, sinceMicros: basis.createdAt.getTime() * 1000 - Math.round(marginSeconds * 1e6) };
}

/** Up to here a count of the target takes about a second on PostgreSQL; past it the count is skipped. */
const CHEAP_COUNT_ROWS = 5_000_000;

/**
 * refuse: a table holding rows fails the run here (a new run would write them again). skip and update: the rows it
 * holds, counted when cheap (the planner's estimate first), so the end of the run can check its count exactly.
 */
async function rowsAlreadyThere(admin: Queryable, target: TargetName, mode: OnExisting): Promise<number | null> {
  const table = qualifiedName(target);
  if (mode === 'refuse') {
    const nonEmpty = await admin.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if (nonEmpty.rows.length > 0) {
      throw new C2yError('TARGET_TABLE_MISMATCH', `target table ${table} already holds rows; a new run would write them again`, {
        hint: 'add --restart to empty it first, set target.onExisting to skip (keep its rows) or update (overwrite them from the source), or set target.table to an empty table',
      });
    }
    return 0;
  }
  const estimate = await admin.query<{ n: string }>('SELECT greatest(reltuples, 0)::bigint::text AS n FROM pg_class WHERE oid = to_regclass($1)', [table]);
  if (Number(estimate.rows[0]?.n ?? 0) > CHEAP_COUNT_ROWS) return null;
  const counted = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  return Number(counted.rows[0]?.n ?? 0);
}

/** A new run's plan: the table measured, its selected share, the splits cut over the selection and checked. */
async function planNewRun(
  cassandra: CassandraClient, run: { config: C2yConfig; table: SourceTable; selection: SourceSelection; log: Logger; splitIdBase: number }, measuring: Promise<TableMeasure>,
): Promise<{ plan: StoredPlan; splits: Split[]; size: TableSizeEstimate }> {
  const { table, selection, log, splitIdBase } = run;
  const measure = await measuring;
  // A keyspace run numbers each table's splits from its own base, so a split id names one split of the whole run.
  const splits = splitsOf(cassandra, table, measure, selection).map((split) => (splitIdBase === 0 ? split : Object.freeze({ ...split, id: split.id + splitIdBase })));
  assertCoversRing(splits, 'new', selection.tokens);
  const recorded = selectionRecord(selection);
  if (recorded !== undefined) log.info('reading a selection of the table', { selection: recorded, share: `${(measure.share * 100).toPrecision(3)} % of the tokens` });
  const plan: StoredPlan = {
    counts: measure.counts, estimatedRows: measure.estimatedRows, averageRowBytes: measure.averageRowBytes, decodedRowBytes: measure.decodedRowBytes, sizeDetail: measure.size.detail,
    splits: splits.map(splitToJson), columns: mappedColumns(table), ...(recorded === undefined ? {} : { selection: recorded }),
  };
  return { plan, splits, size: measure.size };
}

/** A plan whose splits miss or repeat tokens would end `finished` with part of the ring unread, or read twice. */
export function assertCoversRing(splits: readonly Split[], runId: string, selection?: TokenSelection): void {
  const problem = ringCoverageProblem(splits, selection);
  if (problem === undefined) return;
  throw new C2yError('RING_NOT_COVERED', `the splits of run ${runId} do not cover the token ring exactly once: ${problem}`, {
    hint: 'the run table was changed by hand or is damaged; start over with --restart',
    context: { runId },
  });
}

/** Binary where the target's column types allow it; an explicit `binary` the table cannot take is refused, naming the columns. */
function decideCopyFormat(table: SourceTable, columnTypes: ReadonlyMap<string, TargetColumnType>, target: TargetName, wanted: WantedCopyFormat): ChosenCopyFormat {
  const chosen = chooseCopyFormat(table, columnTypes, wanted);
  if (wanted === 'binary' && chosen.format !== 'binary') {
    throw new C2yError('TARGET_TABLE_MISMATCH', `target.copyFormat is binary, but COPY binary cannot write ${qualifiedName(target)}: ${chosen.mismatches.join('; ')}`, {
      hint: 'give those columns the types c2y creates (c2y schema prints them), or set target.copyFormat: auto (text for this table) or text',
    });
  }
  return chosen;
}
