import type { C2yConfig, KeyspaceConfig, LoadedConfig } from '../config/index.js';
import { checkMemoryPlan, plannedFigures, type PlannedFigures } from './run-plan.js';
import { C2yError, CodedError } from '../errors/index.js';
import type { Logger, SkippedTable } from '../observe/index.js';
import { CheckpointStore, describeServer, parseTargetHosts, RunLock, type RunRecord, type TargetClient } from '../sink/index.js';
import { openCassandra, sessionOptionsOf, type CassandraClient } from '../source/index.js';
import { forTable } from './keyspace-plan.js';
import { keyspaceSchema, type KeyspaceSchema } from './keyspace-schema.js';
import { checkDistributed, openDriverLog, prestartExecutors, readStartOf, runSubject, secondsSince, type MigrateOptions, type MigrateResult, type RunSubject } from './migrate.js';
import { connectAdmin, prepareRun, type PreparedRun } from './prepare-run.js';
import { newRunId } from './run-id.js';
import { prepareFailed } from './prepare-failed.js';

export interface KeyspaceMigrateOptions extends Omit<MigrateOptions, 'loaded'> {
  readonly keyspace: KeyspaceConfig;
  /** Leave out the tables that cannot be moved (listed as skipped) instead of refusing the whole run. */
  readonly skipUnsupported: boolean;
}

/** What a keyspace run records under its own id: its tables in order, each with its run id and first split id. */
interface KeyspacePlanRecord {
  readonly keyspace: string;
  /** Started with --restart: a table whose own run was not recorded before a crash is still emptied when it is. */
  readonly restart: boolean;
  readonly tables: ReadonlyArray<{ readonly name: string; readonly runId: string; readonly splitIdBase: number }>;
  /** Tables --skip-unsupported left out when the run started (a resume leaves them out too). */
  readonly skipped?: readonly string[];
}

/** Split ids of a keyspace run's tables start this far apart (a table has at most parallelism, 10,000, splits), so one id names one split of the whole run. */
const SPLIT_ID_STRIDE = 1_000_000;

/** Every chosen table of a keyspace in one run: one id, one queue largest first, one set of executors, one report. */
export async function migrateKeyspace(options: KeyspaceMigrateOptions): Promise<MigrateResult> {
  const config = options.keyspace;
  const base = forTable(config, '-');
  checkDistributed(base, options);
  const driver = openDriverLog(base, options);
  const held: Held = { prepared: [] };
  const prestarted = prestartExecutors(base, options);
  try {
    const preparing = performance.now();
    const prepared = await prepareKeyspaceRun(options, driver.logger, held);
    const subject: RunSubject = { ...prepared, prepareSeconds: secondsSince(preparing) };
    return await runSubject({ ...options, loaded: loadedOf(config, subject.tables[0]?.table.name ?? '-') }, subject, driver, prestarted);
  } finally {
    prestarted?.stop();
    await held.lock?.release();
    for (const table of held.prepared) await table.admin.end().catch(() => undefined);
    await held.admin?.end().catch(() => undefined);
    await held.cassandra?.shutdown().catch(() => undefined);
  }
}

/** What the preparation opened, for the caller to close whatever happens. */
interface Held {
  cassandra?: CassandraClient;
  admin?: TargetClient;
  lock?: RunLock;
  readonly prepared: PreparedRun[];
}

/**
 * Everything before the first row moves: the tables chosen and checked, all of them locked, the keyspace run found
 * (--resume) or planned, every table prepared (every refusal listed together), then recorded. A failure here has
 * written no row; one that is not already typed says so.
 */
async function prepareKeyspaceRun(options: KeyspaceMigrateOptions, log: Logger, held: Held): Promise<Omit<RunSubject, 'prepareSeconds'>> {
  const config = options.keyspace;
  try {
    const cassandra = held.cassandra = await openCassandra(sessionOptionsOf(config.source));
    const connect = (): Promise<TargetClient> => connectAdmin(parseTargetHosts(config.target.hosts, config.target.port), loadedOf(config, '-'));
    const admin = held.admin = await connect();
    const schema = await keyspaceSchema(cassandra, config, (await describeServer(admin)).dialect);
    const { movable, skipped } = chooseTables(schema, options.skipUnsupported);
    // The same ids a one-table run locks: a one-table driver and this run never write one table at once.
    const targets = schema.tables.filter((t) => movable.includes(t.name)).map((t) => `${config.target.database}.${t.target.schema}.${t.target.table}`);
    const store = new CheckpointStore(config.target.checkpointSchema);
    await store.ensureTables(admin);
    const lock = held.lock = await RunLock.acquire(connect, config.target.checkpointSchema, targets);
    const labels = { source: `${config.source.keyspace}.*`, target: `${config.target.database}.${config.target.schema}.*` };
    const existing = await keyspaceRunToResume(admin, store, labels, options);
    const runId = existing?.runId ?? newRunId();
    const plan = existing ? recordedPlan(existing, movable) : newPlan(config.source.keyspace, runId, movable, options.restart);
    await lock.record(runId);
    if (existing) log.info('resuming keyspace run', { runId, tables: plan.tables.length });
    const prepared = held.prepared;
    const refused = await prepareTables({ options, cassandra, lock, plan, log, into: prepared, resumed: existing !== undefined, store, admin });
    skipped.push(...refused);
    const planned = keyspacePlanned(forTable(config, '-'), prepared);
    checkMemoryPlan(forTable(config, '-'), planned, log);
    // Before the run is recorded: a live run's capture that cannot start refuses the run with nothing changed.
    await options.beforeRead?.(prepared.map((table) => readStartOf(forTable(config, table.table.name), table)));
    const ranPlan: KeyspacePlanRecord = { ...plan, tables: plan.tables.filter((t) => !refused.some((r) => r.table === t.name)), skipped: [...(plan.skipped ?? []), ...refused.map((r) => r.table)] };
    if (!existing) await store.createRun(admin, { runId, source: labels.source, target: labels.target, plan: ranPlan, splitIds: [], ...(options.restart ? { restart: {} } : {}) });
    else await store.setRunStatus(admin, runId, 'running');
    for (const table of prepared) await table.create();
    // The largest table leads: the run shares its connections and its memory figures are the run's highest.
    prepared.sort((a, b) => bytesOf(b) - bytesOf(a) || a.table.name.localeCompare(b.table.name));
    for (const table of prepared.slice(1)) await table.admin.end().catch(() => undefined);
    return {
      runId, tables: prepared, configOf: (table) => forTable(config, table.table.name), planned,
      keyspace: { ...labels, resumed: existing !== undefined, skipped, indexes: schema.indexes },
    };
  } catch (error) {
    if (error instanceof CodedError) throw error;
    throw prepareFailed('the keyspace run', error);
  }
}

/**
 * The run's memory and connection figures: all tables' splits share the executors, and any task may be one of the
 * widest table's, so the plan takes every split and the largest rows (encoded and decoded, and cells) of any table.
 */
function keyspacePlanned(config: C2yConfig, tables: readonly PreparedRun[]): PlannedFigures {
  const lead = tables[0];
  return plannedFigures(config, {
    splits: tables.reduce((sum, t) => sum + t.pendingSplits.length, 0),
    averageRowBytes: Math.max(1, ...tables.map((t) => t.planned.averageRowBytes)),
    decodedRowBytes: Math.max(1, ...tables.map((t) => t.planned.decodedRowBytes)),
    targetNodes: lead?.endpoints.length ?? 1, targetRttMs: lead?.planned.targetRttMs ?? 0,
    cellsPerRow: Math.max(1, ...tables.map((t) => t.table.columns.length)),
  });
}

function loadedOf(config: KeyspaceConfig, table: string): LoadedConfig {
  return { config: forTable(config, table), ignoredKeys: [], derived: [], origins: {} };
}

function bytesOf(prepared: PreparedRun): number {
  return prepared.plan.estimatedRows * prepared.plan.averageRowBytes;
}

/** The tables a run moves, and those it leaves out: views always, refused tables with --skip-unsupported (else all refusals at once). */
function chooseTables(schema: KeyspaceSchema, skipUnsupported: boolean): { movable: string[]; skipped: SkippedTable[] } {
  const refused = schema.tables.filter((t) => t.refusal !== null);
  if (refused.length > 0 && !skipUnsupported) {
    throw new C2yError('CONFIG_INVALID', `${refused.length} table(s) of ${schema.keyspace} cannot be moved as they are, and no row was moved: ${refused.map((t) => `${t.name} (${t.refusal?.code ?? ''}: ${t.refusal?.message ?? ''})`).join('; ')}`, {
      hint: 'fix each one as its message says, leave it out with --exclude-tables, or add --skip-unsupported to move the others and list these as skipped',
      context: { keyspace: schema.keyspace, refused: refused.length },
    });
  }
  const movable = schema.tables.filter((t) => t.refusal === null).map((t) => t.name);
  if (movable.length === 0) {
    throw new C2yError('CONFIG_INVALID', `keyspace ${schema.keyspace} has no table to move${refused.length > 0 ? ` (${refused.length} skipped)` : ''}`, { hint: 'check source.tables and source.excludeTables (c2y plan --keyspace lists the tables)' });
  }
  return {
    movable,
    skipped: [
      ...refused.map((t) => ({ table: t.name, reason: `${t.refusal?.code ?? ''}: ${t.refusal?.message ?? ''}` })),
      ...schema.views.map((v) => ({ table: v.name, reason: `view of ${v.baseTable}: ${v.reason}` })),
    ],
  };
}

/** --resume: the run named, or this keyspace's newest; without it, a new run, refused while another is unfinished. */
async function keyspaceRunToResume(admin: TargetClient, store: CheckpointStore, labels: { source: string; target: string }, options: KeyspaceMigrateOptions): Promise<RunRecord | undefined> {
  if (typeof options.resume === 'string') {
    const run = await store.findRun(admin, options.resume);
    if (!run || run.source !== labels.source || run.target !== labels.target) {
      throw new C2yError('RUN_NOT_FOUND', `no keyspace run ${options.resume} of ${labels.source} → ${labels.target}`, { hint: 'c2y status lists the runs; --resume without an id continues the newest' });
    }
    if (run.status === 'superseded') throw new C2yError('RUN_SUPERSEDED', `run ${run.runId} was superseded by a --restart`, { hint: 'resume the newest run instead (--resume without an id), or start over with --restart' });
    return run;
  }
  if (options.resume === true) return store.findLatestRun(admin, labels.source, labels.target);
  const unfinished = await store.findUnfinishedRun(admin, labels.source, labels.target);
  if (unfinished && !options.restart) {
    throw new C2yError('RUN_UNFINISHED', `keyspace run ${unfinished.runId} of ${labels.source} → ${labels.target} (status ${unfinished.status}) has not finished`, {
      hint: 'add --resume to continue it, or --restart to empty its tables and start over',
    });
  }
  return undefined;
}

function newPlan(keyspace: string, runId: string, tables: readonly string[], restart: boolean): KeyspacePlanRecord {
  // Split ids are PostgreSQL integers: past this many tables they would not fit.
  if (tables.length * SPLIT_ID_STRIDE > 2 ** 31 - 1) {
    throw new C2yError('CONFIG_INVALID', `${tables.length} tables are more than one run can number (at most ${Math.floor((2 ** 31 - 1) / SPLIT_ID_STRIDE)})`, { hint: 'split the keyspace into runs with --tables / --exclude-tables' });
  }
  return { keyspace, restart, tables: tables.map((name, index) => ({ name, runId: `${runId}-t${String(index).padStart(3, '0')}`, splitIdBase: index * SPLIT_ID_STRIDE })) };
}

/** A resumed keyspace run moves the tables it started with: another choice would leave some half-moved or add some. */
function recordedPlan(run: RunRecord, movable: readonly string[]): KeyspacePlanRecord {
  const plan = run.plan as KeyspacePlanRecord;
  const recorded = plan.tables.map((t) => t.name);
  const missing = recorded.filter((name) => !movable.includes(name));
  const added = movable.filter((name) => !recorded.includes(name) && !(plan.skipped ?? []).includes(name));
  if (missing.length > 0 || added.length > 0) {
    throw new C2yError('CONFIG_INVALID', `run ${run.runId} started with other tables: ${[...missing.map((n) => `${n} (in the run, not chosen now)`), ...added.map((n) => `${n} (chosen now, not in the run)`)].join(', ')}`, {
      hint: 'resume with the source.tables / source.excludeTables that started the run, or start over with --restart',
      context: { key: 'source.tables' },
    });
  }
  return plan;
}

interface PrepareTablesInput {
  readonly options: KeyspaceMigrateOptions;
  readonly cassandra: CassandraClient;
  readonly lock: RunLock;
  readonly plan: KeyspacePlanRecord;
  readonly log: Logger;
  readonly into: PreparedRun[];
  readonly resumed: boolean;
  readonly store: CheckpointStore;
  readonly admin: TargetClient;
}

/**
 * Every table prepared as its one-table run would be (checks, plan, memory), none recorded yet, each refusal
 * collected: the run starts only when every table can, so the user fixes all at once.
 */
async function prepareTables(input: PrepareTablesInput): Promise<SkippedTable[]> {
  const { options, plan } = input;
  const refusals: string[] = [];
  const skipped: SkippedTable[] = [];
  for (const entry of plan.tables) {
    const known = input.resumed ? await input.store.findRun(input.admin, entry.runId) : undefined;
    try {
      input.into.push(await prepareRun({
        loaded: loadedOf(options.keyspace, entry.name), resume: known ? entry.runId : false, restart: !known && (input.resumed ? plan.restart : options.restart), logger: input.log.child({ table: entry.name }),
        lock: input.lock, cassandra: input.cassandra, runId: entry.runId, splitIdBase: entry.splitIdBase, deferCreate: true,
      }));
    } catch (error) {
      if (!(error instanceof CodedError)) throw error;
      // Left out only when the run starts: a resumed run's tables were all accepted when it did.
      if (options.skipUnsupported && !input.resumed) skipped.push({ table: entry.name, reason: `${error.code}: ${error.message}` });
      else refusals.push(`${entry.name} (${error.code}: ${error.message}${error.hint ? `; ${error.hint}` : ''})`);
    }
  }
  if (refusals.length > 0) {
    throw new C2yError('CONFIG_INVALID', `${refusals.length} table(s) of ${plan.keyspace} cannot start, and no row was moved: ${refusals.join('; ')}`, {
      hint: 'fix each one as its message says (or leave it out with --exclude-tables), then run the same command again',
      context: { keyspace: plan.keyspace, refused: refusals.length },
    });
  }
  if (input.into.length === 0) throw new C2yError('CONFIG_INVALID', `no table of ${plan.keyspace} can start: ${skipped.map((t) => `${t.table} (${t.reason})`).join('; ')}`, { hint: 'fix each one as its message says' });
  return skipped;
}
