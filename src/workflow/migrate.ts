import { join, resolve } from 'node:path';
import { redactConfig, redactUrl, tlsWarnings, urlPassword, type C2yConfig, type LoadedConfig } from '../config/index.js';
import { distributedRunner, localRunner, LiveLimits, PrestartedExecutors, type Runner, type RunnerOutcome, type RunSigner } from '../runner/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { buildReport, createLogger, maskValue, RunStats, type Logger, type RunEvent, type RunReport, type SkippedTable, type TableReport } from '../observe/index.js';
import { qualifiedName } from '../schema/index.js';
import { connectAdmin, prepareRun, type PreparedRun } from './prepare-run.js';
import { RunSettingsStore, type TargetClient } from '../sink/index.js';
import type { IndexPlan } from './keyspace-schema.js';
import { executorConfig, runQueue, tableJobs, tableOfSplit, targetLabel } from './run-tables.js';
import { createIndexes, endTable, tableReport, withRunRetries, type TableEnd } from './table-end.js';
import { runEventHandler, TableTiming } from './run-listener.js';
import { watchTuning, type TuningWatch } from './tuning-watch.js';
import { watchAdaptive, type AdaptiveWatch } from './adaptive-reads.js';
import { watchTargetWaits } from './target-waits-watch.js';
import { copyBufferBytesOf, type PlannedFigures } from './run-plan.js';
import { configuredLimits } from '../task/index.js';
import { RunFolder } from './run-folder.js';
import { EndConnection } from './end-connection.js';
import { noWatch, type RunWatcher } from './run-watch.js';

export interface MigrateOptions {
  readonly loaded: LoadedConfig;
  readonly resume: boolean | string;
  readonly restart: boolean;
  /** Run the splits on `c2y worker`s through Redis (config.redis) instead of local executors. */
  readonly distributed?: boolean;
  /** Signs the run record and split jobs of a distributed run (C2Y_RUN_KEY). */
  readonly runSigner?: RunSigner;
  /** The command line a user would type to resume, for messages (without secrets). */
  readonly resumeCommand: (runId: string) => string;
  /** Log lines as JSON (else text for a person). */
  readonly jsonLog: boolean;
  readonly signal: AbortSignal;
  /** Where log lines go (default: stderr); on a terminal the CLI prints them above its progress display. */
  readonly logLine?: (line: string) => void;
  /** What the CLI attaches to the run once it is planned: progress, dashboard, metrics. */
  readonly watch?: RunWatcher;
  /** `c2y catchup`: a new run writes only the rows written since the newest finished run began, less the margin. */
  readonly catchup?: { readonly marginSeconds: number };
  /**
   * Called once the run is chosen (new or resumed) and before its first page is read, with each of its tables (a
   * keyspace's before its run is recorded): a live run records its capture there.
   */
  readonly beforeRead?: (tables: readonly TableReadStart[]) => Promise<void>;
}

/** A table of a run about to read its first page: its config, its own run id, whether resumed, its splits left. */
export interface TableReadStart {
  readonly config: C2yConfig;
  readonly runId: string;
  readonly resumed: boolean;
  readonly splitsLeft: number;
}

export interface MigrateResult {
  readonly report: RunReport;
  readonly runFolder: string;
}

/** A write at the end of the run: a failure is recorded on the folder and reported once, after the bookkeeping. */
function writeQuietly(folder: RunFolder, file: string, text: string): void {
  try {
    folder.write(file, text);
  } catch {
    // recorded in folder.failure
  }
}

/** Refuses --distributed without its Redis or key, before anything connects. */
export function checkDistributed(config: C2yConfig, options: Pick<MigrateOptions, 'distributed' | 'runSigner'>): void {
  if (options.distributed && config.redis === undefined) {
    throw new C2yError('CONFIG_INVALID', '--distributed needs the Redis the workers serve', { hint: 'add --redis redis://host:6379 (or redis: in the config file, C2Y_REDIS in the environment)' });
  }
  if (options.distributed && options.runSigner === undefined) throw new C2yError('RUN_KEY_MISSING', '--distributed needs C2Y_RUN_KEY', { hint: 'set the same secret for the driver and every worker, e.g. export C2Y_RUN_KEY=$(openssl rand -hex 32)' });
}

/**
 * The driver's log: lines go to the terminal (or JSON) and, once the run folder exists, to its run.log; lines from
 * before are kept and written first. Secrets are masked in every line.
 */
export function openDriverLog(config: C2yConfig, options: Pick<MigrateOptions, 'jsonLog' | 'logLine'>): DriverLog {
  const secrets = [config.source.password, config.target.password, urlPassword(config.redis), config.uiToken].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const runRoot = resolve(config.runDir);
  RunFolder.open(runRoot);
  const pendingLines: string[] = [];
  let folder: RunFolder | undefined;
  // A log line that cannot be written stops the run (once): it must not go on unseen, nor crash mid-transaction.
  let onFolderFailure = (): void => undefined;
  const tee = (line: string): void => {
    if (!folder) pendingLines.push(line);
    else if (!folder.failure && !folder.tryAppend('run.log', line + '\n')) onFolderFailure();
  };
  const logger: Logger = createLogger({ json: options.jsonLog, level: config.logLevel, secrets, tee: [tee], ...(options.logLine ? { write: options.logLine } : {}) });
  for (const warning of tlsWarnings(config)) logger.warn('INSECURE TLS: certificate checks are off', { detail: warning });
  return {
    logger, runRoot, secrets, pendingLines, tee: (folderNow, onFailure) => {
      folder = folderNow;
      onFolderFailure = onFailure;
    },
  };
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { config, ignoredKeys } = options.loaded;
  checkDistributed(config, options);
  const driver = openDriverLog(config, options);
  const { logger } = driver;
  if (ignoredKeys.length > 0) logger.warn('ignored Spark keys with no meaning for c2y', { keys: ignoredKeys.join(',') });
  for (const note of options.loaded.derived) logger.info('setting derived from a Spark key', { setting: note });

  const prestarted = prestartExecutors(config, options);
  try {
    const preparing = performance.now();
    const prepared = await prepareRun({ loaded: options.loaded, resume: options.resume, restart: options.restart, logger, ...(options.catchup ? { catchup: options.catchup } : {}) });
    try {
      await options.beforeRead?.([readStartOf(config, prepared)]);
      return await runSubject(options, { runId: prepared.runId, tables: [prepared], configOf: () => config, prepareSeconds: secondsSince(preparing) }, driver, prestarted);
    } finally {
      await prepared.lock.release();
      // Already ended on the normal path; on an error path (e.g. an unreachable Redis) it would keep the process alive.
      await prepared.admin.end().catch(() => undefined);
    }
  } finally {
    prestarted?.stop();
  }
}

/** A local run's executors start (and connect to Cassandra) while the run is prepared; a distributed run's are the workers'. */
export function prestartExecutors(config: C2yConfig, options: Pick<MigrateOptions, 'distributed'>): PrestartedExecutors | undefined {
  return options.distributed === true ? undefined : new PrestartedExecutors(config);
}

export function readStartOf(config: C2yConfig, prepared: PreparedRun): TableReadStart {
  return { config, runId: prepared.runId, resumed: prepared.resumed, splitsLeft: prepared.allSplits.length - prepared.doneSplitIds.length };
}

export interface DriverLog {
  readonly logger: Logger;
  readonly runRoot: string;
  readonly secrets: readonly string[];
  readonly pendingLines: readonly string[];
  /** Points the log's tee at the run folder once it exists, and at what stops the run if the folder fails. */
  readonly tee: (folder: RunFolder, onFailure: () => void) => void;
}

/** A keyspace run beside its tables: its name, where it writes, what it left out, and its indexes to make after. */
export interface KeyspaceSubject {
  readonly source: string;
  readonly target: string;
  readonly resumed: boolean;
  readonly skipped: readonly SkippedTable[];
  readonly indexes: readonly IndexPlan[];
}

/**
 * What one run moves: one table (the run's id is the table's), or every table of a keyspace under the keyspace
 * run's id, largest first. Both run through the same code: one queue, one set of executors, one report.
 */
export interface RunSubject {
  readonly runId: string;
  readonly tables: readonly PreparedRun[];
  /** A table's settings as the user gave them (a keyspace run's tables differ in source.table). */
  readonly configOf: (prepared: PreparedRun) => C2yConfig;
  readonly keyspace?: KeyspaceSubject;
  /** The run's memory and connection figures when they are not its one table's (a keyspace run's, over all tables). */
  readonly planned?: PlannedFigures;
  /** How long its preparation took (the report's prepareSeconds). */
  readonly prepareSeconds: number;
}

/** Wall seconds since `started` (performance.now()), to the millisecond. */
export function secondsSince(started: number): number {
  return Math.round(performance.now() - started) / 1000;
}

/** The run's first table: the one table, or the largest of a keyspace, whose connections and figures the run shares. */
function leadOf(subject: RunSubject): PreparedRun {
  const lead = subject.tables[0];
  if (!lead) throw new C2yError('CONFIG_INVALID', 'the run has no table to move', { hint: 'choose at least one table (source.tables)' });
  return lead;
}

/** What a run keeps while it goes: its folder, figures and log, its stop switch, and the lock it may lose. */
interface StartedRun {
  readonly files: RunFolder;
  readonly runFolder: string;
  readonly stats: RunStats;
  readonly eventLog: Logger;
  readonly runControl: AbortController;
  readonly lockLost: () => C2yError | undefined;
}

/** The run's folder (its log so far, its config), its figures, and what stops it: Ctrl-C, the folder failing, the lock lost. */
function startRun(options: MigrateOptions, subject: RunSubject, driver: DriverLog, config: C2yConfig): StartedRun {
  const { runId } = subject;
  const files = RunFolder.forRun(driver.runRoot, runId);
  files.write('run.log', driver.pendingLines.map((line) => line + '\n').join(''));
  files.write('config.json', JSON.stringify(redactConfig(config), null, 2));
  const stats = new RunStats(subject.tables.flatMap((t) => t.allSplits.map((s) => s.id)), subject.tables.flatMap((t) => t.doneSplitIds));
  stats.rowsBefore = subject.tables.reduce((sum, t) => sum + t.rowsBefore, 0);
  const eventLog = driver.logger.child({ runId });
  for (const prepared of subject.tables) {
    const own = subject.configOf(prepared);
    const pageRows = prepared.planned.memoryPerTask.pageRows;
    if (pageRows < own.source.fetchSize) {
      eventLog.info('pages hold fewer rows than source.fetchSize', { table: prepared.table.name, rowsPerPage: pageRows, fetchSize: own.source.fetchSize, why: `two pages of ~${prepared.planned.averageRowBytes} B rows within copyBufferSize ${own.copyBufferSize} rows and copyBufferBytes ${copyBufferBytesOf(own)} B` });
    }
  }
  // The run's own stop switch: the user's Ctrl-C, or too many rejects.
  const runControl = new AbortController();
  let folderFailed = false;
  driver.tee(files, () => {
    if (folderFailed) return;
    folderFailed = true;
    eventLog.error('the run folder cannot be written; stopping the run', { error: files.failure?.message ?? 'unknown' });
    runControl.abort();
  });
  // Ctrl-C while the run was being prepared fired before this listener: it stops the run all the same.
  if (options.signal.aborted) runControl.abort();
  else options.signal.addEventListener('abort', () => runControl.abort(), { once: true });
  let lost: C2yError | undefined;
  leadOf(subject).lock.watchWith({
    dropped: (why) => eventLog.warn('run lock dropped with its connection; taking it again (until then another driver could take the table)', { why }),
    retaken: (afterMs) => eventLog.info('run lock taken again', { afterSeconds: Math.round(afterMs) / 1000 }),
    lost: (error) => {
      lost = error;
      eventLog.error('run lock lost; stopping the run', { error: error.message });
      runControl.abort();
    },
  });
  return { files, runFolder: files.path, stats, eventLog, runControl, lockLost: () => lost };
}

export async function runSubject(options: MigrateOptions, subject: RunSubject, driver: DriverLog, prestarted?: PrestartedExecutors): Promise<MigrateResult> {
  const lead = leadOf(subject);
  const runId = subject.runId;
  const config = executorConfig(subject.configOf(lead), lead);
  const { logger, secrets } = driver;
  const started = startRun(options, subject, driver, config);
  const { files, stats, eventLog, runControl, lockLost } = started;
  const labels = { source: subject.keyspace?.source ?? `${config.source.keyspace}.${config.source.table}`, target: subject.keyspace?.target ?? targetLabel(config, lead) };
  const estimatedRows = subject.tables.reduce((sum, t) => sum + t.plan.estimatedRows, 0);
  const watch = await (options.watch ?? noWatch)({ config, stats, endpoints: lead.endpoints, secrets, logger: eventLog, meta: watchMeta(subject, config, labels, estimatedRows) });
  const tasks = runQueue(subject.tables, subject.keyspace !== undefined);
  const ownerOf = tableOfSplit(subject.tables);
  const timing = new TableTiming();
  const runner = runnerOf(options, config, lead, labels, eventLog, tasks.length);
  const watchers = await startWatchers(config, lead, runId, stats, eventLog, subject.tables.some((t) => t.resumed));
  const events = runEventHandler({ config, stats, log: eventLog, adaptive: watchers.adaptive, stop: () => runControl.abort(), timing, ownerOf, nameTables: subject.keyspace !== undefined });
  const endConnection = new EndConnection(() => connectAdmin(lead.endpoints, options.loaded));
  const listener = (event: RunEvent): void => {
    events.listener(event);
    if (stats.splitsNotBegun === 0) endConnection.openAhead();
  };
  let outcome: RunnerOutcome;
  try {
    outcome = await runner.run({
      limits: watchers.limits, config, runId, table: lead.table, tasks, balancer: lead.balancer, signal: runControl.signal, log: eventLog, listener,
      ...(subject.keyspace ? { tables: tableJobs(subject.tables, subject.configOf) } : {}), ...(prestarted ? { prestarted } : {}),
    });
  } catch (error) {
    watchers.stop();
    await endConnection.close();
    await watch.finish('failed', (name, text) => files.write(name, text)).catch(() => undefined);
    throw error;
  }
  const adaptive = watchers.stop();
  const runnerEndedAt = performance.now();
  const ended: RunReport['status'] = events.tooManyRejects() || lockLost() ? 'failed' : outcome.interrupted ? 'interrupted' : 'finished';
  const { admin, ends, status } = await endTables(subject, { config, logger, ended, outcome, ownerOf, endConnection });
  await watch.finish(status, (name, text) => files.write(name, text)).catch(() => undefined);
  const { rejects, indexes } = await recordAfterTables(admin, files, subject, { config, logger, eventLog, ends, status });
  const valueRejects = rejects.filter((row) => row.kind === 'value').length;
  // Masked as a value (failure messages may quote what a server said), then written and returned.
  const report = maskValue(runReport({
    options, subject, status, ends, outcome, stats, timing, indexes, adaptive, labels, estimatedRows, valueRejects, rejects: rejects.length, runnerEndedAt,
    concurrency: concurrencyOf(runner, config, tasks.length, events.workerCores),
  }), secrets);
  writeQuietly(files, 'report.json', JSON.stringify(report, null, 2));
  logger.info('run ended', { runId, status, rows: report.rows, seconds: report.durationSeconds, rowsPerSecond: report.rowsPerSecond });
  const countMismatch = ends.find((e) => e.countMismatch);
  const failure = runEndFailure({
    runId, runFolder: started.runFolder, folderFailure: files.failure, lockLost: lockLost(), unscanned: ends.flatMap((e) => e.unscanned), tooManyRejects: events.tooManyRejects(), valueRejects, outOfMemory: outcome.outOfMemory,
    count: countMismatch ? { checkpointRows: countMismatch.expectedRows ?? countMismatch.rowsCommittedTotal, targetRows: countMismatch.targetRows ?? 0, table: qualifiedName(countMismatch.prepared.target) } : undefined,
    config, resumeCommand: options.resumeCommand(runId),
  });
  if (failure) throw failure;
  return { report, runFolder: started.runFolder };
}

/** What the dashboard, /metrics and the progress line are told of the run before it starts. */
function watchMeta(subject: RunSubject, config: C2yConfig, labels: RunLabels, estimatedRows: number): Parameters<RunWatcher>[0]['meta'] {
  const lead = leadOf(subject);
  return {
    kind: 'migrate', runId: subject.runId, source: labels.source, target: labels.target, estimatedRows, planned: subject.planned ?? lead.planned, config: redactConfig(config),
    ...(subject.keyspace ? { tables: subject.tables.map((t) => ({ name: t.table.name, runId: t.runId, splitIds: t.allSplits.map((s) => s.id), estimatedRows: t.plan.estimatedRows, rowsBefore: t.rowsBefore })) } : {}),
  };
}

/** The run's source and target as the report and the dashboard name them. */
interface RunLabels { readonly source: string; readonly target: string }

/** This machine's executors, or the workers of config.redis for a --distributed run. */
function runnerOf(options: MigrateOptions, config: C2yConfig, lead: PreparedRun, labels: RunLabels, eventLog: Logger, splits: number): Runner {
  const redisUrl = options.distributed ? config.redis : undefined;
  if (redisUrl === undefined) return localRunner;
  eventLog.info('distributed run: splits go to the workers of this Redis', { redis: redactUrl(redisUrl), splits, globalStreamCap: Math.min(config.parallelism, splits) });
  return distributedRunner({ redisUrl, source: labels.source, target: labels.target, endpoints: lead.endpoints, signer: options.runSigner as RunSigner });
}

/** What follows a run while it goes: its live limits (`c2y tune`), the target's waits, and adaptive reads if asked. */
interface RunWatchers {
  readonly limits: LiveLimits;
  readonly adaptive: AdaptiveWatch | undefined;
  /** Stops them all; the adaptive reads' summary for the report. */
  stop(): RunReport['adaptive'];
}

async function startWatchers(config: C2yConfig, lead: PreparedRun, runId: string, stats: RunStats, eventLog: Logger, resumed: boolean): Promise<RunWatchers> {
  // Both runners follow `c2y tune` (a resumed run starts with what was tuned before): a local run tells its
  // executors, a distributed one publishes the limits, signed, to its workers and sets its queue's concurrency.
  const limits = new LiveLimits(configuredLimits(config));
  const tuning: TuningWatch = watchTuning({ db: lead.admin, store: new RunSettingsStore(config.target.checkpointSchema), runId, base: configuredLimits(config), limits, log: eventLog });
  // A resumed run starts with what was tuned before. A new one has nothing tuned yet: its first poll need not hold
  // back the first split by a round trip (limits tuned meanwhile reach the executors as they are read).
  if (resumed) await tuning.poll();
  else void tuning.poll();
  const targetWaits = watchTargetWaits({ db: lead.admin, runId, log: eventLog, tally: stats.targetWaits });
  const adaptive = config.source.adaptive ? watchAdaptive({ limits, rowsRead: () => stats.rowsCommitted + stats.rowsInFlight, log: eventLog }) : undefined;
  return {
    limits, adaptive, stop: () => {
      tuning.stop();
      targetWaits.stop();
      return adaptive?.stop() ?? null;
    },
  };
}

/** How the runner's part ended, for recording each table's end. */
interface RunEndInput {
  readonly config: C2yConfig;
  readonly logger: Logger;
  readonly ended: RunReport['status'];
  readonly outcome: RunnerOutcome;
  readonly ownerOf: ReadonlyMap<number, PreparedRun>;
  readonly endConnection: EndConnection;
}

/** Each table's end recorded on a fresh connection (returned open for what follows), and the run's status. */
async function endTables(subject: RunSubject, input: RunEndInput): Promise<{ admin: TargetClient; ends: TableEnd[]; status: RunReport['status'] }> {
  const { config, logger, ended, outcome, ownerOf } = input;
  const lead = leadOf(subject);
  // The driver's own connection watched the run (tuning, target waits); the target may have restarted since. The end
  // has its own, opened as the last splits streamed (end-connection.ts) or now, retried. Ended without waiting: the
  // wait is for the server to close the socket, a round trip that decides nothing.
  void lead.admin.end().catch(() => undefined);
  const admin = await withRunRetries(config, logger, 'reconnecting to the target to record the run', () => input.endConnection.take());
  const ends: TableEnd[] = [];
  for (const prepared of subject.tables) {
    const failed = outcome.failed.filter((f) => ownerOf.get(f.splitId) === prepared);
    ends.push(await endTable({ admin, config: subject.configOf(prepared), logger, prepared, ended: failed.length > 0 ? 'failed' : ended, splitsFailed: failed.length }));
  }
  const status: RunReport['status'] = ends.some((e) => e.status === 'failed') || ended === 'failed' ? 'failed' : ended;
  return { admin, ends, status };
}

/** What follows the tables' ends: the rows refused written, a keyspace's indexes made and its status set; `admin` ended. */
async function recordAfterTables(
  admin: TargetClient, files: RunFolder, subject: RunSubject,
  input: { readonly config: C2yConfig; readonly logger: Logger; readonly eventLog: Logger; readonly ends: readonly TableEnd[]; readonly status: RunReport['status'] },
): Promise<{ rejects: Array<TableEnd['rejects'][number] & { readonly table?: string }>; indexes: ReadonlyMap<string, TableReport['indexes']> }> {
  const { config, logger, eventLog, ends, status } = input;
  const rejects = ends.flatMap((e) => e.rejects.map((row) => (subject.keyspace ? { table: e.prepared.table.name, ...row } : row)));
  if (rejects.length > 0 || config.onError === 'reject') {
    // Static-only partitions are written here whatever onError says: they are data the table could not take.
    writeQuietly(files, 'rejects.jsonl', rejects.map((row) => JSON.stringify(row)).join('\n') + (rejects.length > 0 ? '\n' : ''));
  }
  const indexes = subject.keyspace ? await createIndexes(admin, subject.keyspace.indexes, ends, eventLog) : new Map<string, TableReport['indexes']>();
  if (subject.keyspace) await leadOf(subject).store.setRunStatus(admin, subject.runId, status).catch((error: unknown) => logger.warn('could not record the run status', { error: messageOf(error) }));
  // Not waited for, as the driver's own (endTables): everything is recorded.
  void admin.end().catch(() => undefined);
  return { rejects, indexes };
}

interface RunReportInput {
  readonly options: MigrateOptions;
  readonly subject: RunSubject;
  readonly status: RunReport['status'];
  readonly ends: readonly TableEnd[];
  readonly outcome: RunnerOutcome;
  readonly stats: RunStats;
  readonly timing: TableTiming;
  readonly indexes: ReadonlyMap<string, TableReport['indexes']>;
  readonly adaptive: RunReport['adaptive'];
  readonly labels: { readonly source: string; readonly target: string };
  readonly estimatedRows: number;
  readonly valueRejects: number;
  readonly rejects: number;
  readonly concurrency: RunReport['concurrency'];
  /** performance.now() when the runner returned: the report's finishSeconds run from there. */
  readonly runnerEndedAt: number;
}

/** The run's report: the run's figures, and a keyspace run's line per table and its skipped tables. */
function runReport(input: RunReportInput): RunReport {
  const { options, subject, ends, outcome } = input;
  const lead = leadOf(subject);
  const counted = ends.map((e) => e.targetRows);
  return buildReport({
    runId: subject.runId, status: input.status, source: input.labels.source, target: input.labels.target,
    targetServer: `${lead.server.dialect} (${lead.server.version.split(' ').slice(0, 2).join(' ')})`,
    resumed: subject.keyspace?.resumed ?? lead.resumed, estimatedRows: input.estimatedRows,
    splits: {
      ...splitCounts(subject.tables), done: subject.tables.reduce((sum, t) => sum + t.doneSplitIds.length, 0) + outcome.completed.length,
      failed: outcome.failed.map((f) => ({ splitId: f.splitId, code: f.error.code, message: f.error.message, ...(f.error.hint ? { hint: f.error.hint } : {}), attempts: f.attempts })),
    },
    concurrency: input.concurrency, planned: subject.planned ?? lead.planned, prepareSeconds: subject.prepareSeconds,
    finishSeconds: Math.round(performance.now() - input.runnerEndedAt) / 1000,
    rejects: input.valueRejects, staticOnlyPartitions: input.rejects - input.valueRejects, ignoredKeys: options.loaded.ignoredKeys,
    rowsCommittedTotal: ends.reduce((sum, e) => sum + e.rowsCommittedTotal, 0),
    targetRowsCounted: counted.every((n) => n !== null) ? counted.reduce((sum: number, n) => sum + (n ?? 0), 0) : null,
    existing: existingSummary(ends),
    catchup: lead.plan.catchup ? { basisRunId: lead.plan.catchup.basisRunId, since: new Date(lead.plan.catchup.sinceMicros / 1000).toISOString(), rowsOlder: input.stats.older } : null,
    copyFormat: subject.keyspace ? keyspaceCopyFormat(subject.tables) : { format: lead.copyFormat.format, reason: lead.copyFormat.reason },
    adaptive: input.adaptive,
    resumeCommand: input.status === 'finished' ? null : options.resumeCommand(subject.runId),
    ...(subject.keyspace ? {
      tables: ends.map((e) => tableReport(e, subject.configOf(e.prepared), input.timing, input.indexes.get(e.prepared.table.name))),
      skippedTables: subject.keyspace.skipped,
    } : {}),
  }, input.stats);
}

/** Streams at once, as the report says: local executors × cores, or the workers that joined a distributed run. */
function concurrencyOf(runner: Runner, config: C2yConfig, tasks: number, workerCores: ReadonlyMap<number, number>): RunReport['concurrency'] {
  if (runner.kind === 'local') {
    return { executors: Math.min(config.executors, Math.max(1, tasks)), cores: config.cores, concurrentTasks: Math.min(config.executors * config.cores, Math.max(1, tasks)) };
  }
  // Distributed: the workers that joined; streams at once are capped by the run's parallelism across all of them.
  return { executors: workerCores.size, cores: Math.max(0, ...workerCores.values()), concurrentTasks: Math.min(config.parallelism, Math.max(1, tasks), [...workerCores.values()].reduce((sum, n) => sum + n, 0)) };
}

/** The run's split counts: the table's, or summed over a keyspace's tables. */
function splitCounts(tables: readonly PreparedRun[]): { requested: number; token: number; effective: number; reason: string } {
  const [lead] = tables;
  if (tables.length === 1 && lead) return { requested: lead.plan.counts.requested, token: lead.plan.counts.tokenSplits, effective: lead.plan.counts.effective, reason: lead.plan.counts.reason };
  const sum = (pick: (t: PreparedRun) => number): number => tables.reduce((total, t) => total + pick(t), 0);
  return { requested: sum((t) => t.plan.counts.requested), token: sum((t) => t.plan.counts.tokenSplits), effective: sum((t) => t.plan.counts.effective), reason: `summed over ${tables.length} tables; each table's own reason is in its plan (c2y plan --keyspace)` };
}

/** skip and update: the rows whose key the target already held, and what the tables held when the run began. */
function existingSummary(ends: readonly TableEnd[]): RunReport['existing'] {
  const mode = ends[0]?.prepared.plan.onExisting ?? 'refuse';
  if (mode === 'refuse') return null;
  const before = ends.map((e) => e.prepared.plan.existingRows ?? null);
  return { mode, rows: ends.reduce((sum, e) => sum + e.rowsExisting, 0), heldBefore: before.every((n) => n !== null) ? before.reduce((sum: number, n) => sum + (n ?? 0), 0) : null };
}

function keyspaceCopyFormat(tables: readonly PreparedRun[]): RunReport['copyFormat'] {
  const binary = tables.filter((t) => t.copyFormat.format === 'binary').length;
  return { format: binary * 2 > tables.length ? 'binary' : 'text', reason: `per table: ${binary} binary, ${tables.length - binary} text (see tables)` };
}

interface RunEnd {
  readonly runId: string;
  readonly runFolder: string;
  readonly folderFailure: Error | undefined;
  readonly lockLost: C2yError | undefined;
  /** Splits of the plan a finished run did not mark done. */
  readonly unscanned: readonly number[];
  readonly tooManyRejects: boolean;
  readonly valueRejects: number;
  readonly outOfMemory: boolean;
  /** Set when the target's count disagrees with the checkpoints. */
  readonly count: { readonly checkpointRows: number; readonly targetRows: number; readonly table: string } | undefined;
  readonly config: C2yConfig;
  readonly resumeCommand: string;
}

/** Why a run that has written its report must still end in an error, the gravest first; none when it ended well. */
function runEndFailure(end: RunEnd): C2yError | undefined {
  const { runId, resumeCommand } = end;
  if (end.folderFailure) {
    return new C2yError('RUN_FOLDER_UNWRITABLE', `${end.folderFailure.message}; the run stopped, committed rows and their checkpoints are kept (run ${runId})`, {
      hint: `free space in (or fix) ${end.runFolder}, then: ${resumeCommand}`,
    });
  }
  if (end.lockLost) return end.lockLost;
  if (end.unscanned.length > 0) {
    return new C2yError('RING_NOT_COVERED', `run ${runId} ended with split(s) ${end.unscanned.join(', ')} not done; part of the token ring was not read`, {
      hint: resumeCommand, context: { runId, splits: end.unscanned.join(',') },
    });
  }
  if (end.count) {
    return new C2yError('TARGET_COUNT_MISMATCH', `run ${runId}: the checkpoints say ${end.count.table} should hold ${end.count.checkpointRows} rows, but it holds ${end.count.targetRows}; the table was changed outside this run`, {
      hint: `nothing was deleted by c2y; c2y validate names the differences, or start over with --restart (it empties the table)`,
      context: { runId, checkpointRows: end.count.checkpointRows, targetRows: end.count.targetRows },
    });
  }
  if (end.tooManyRejects) {
    return new C2yError('TOO_MANY_REJECTS', `${end.valueRejects} rows were rejected, more than maxErrors (${end.config.maxErrors}); see ${join(end.runFolder, 'rejects.jsonl')}`, {
      hint: `fix the values or raise maxErrors, then: ${resumeCommand}`,
    });
  }
  if (end.outOfMemory) {
    return new C2yError('EXECUTOR_OUT_OF_MEMORY', `an executor ran out of its ${Math.round(end.config.executorMemory / 1024 / 1024)} MiB heap; committed work is kept (run ${runId})`, {
      hint: `raise executorMemory (spark.executor.memory), lower cores or copyBufferBytes, then: ${resumeCommand}`,
    });
  }
  return undefined;
}
