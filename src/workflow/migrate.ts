import { join, resolve } from 'node:path';
import { redactConfig, redactUrl, tlsWarnings, urlPassword, type C2yConfig, type LoadedConfig } from '../config/index.js';
import { copyTasks, distributedRunner, localRunner, LiveLimits, type Runner, type RunSigner } from '../runner/index.js';
import { C2yError, messageOf, runRetryPolicy, withRetries } from '../errors/index.js';
import { buildReport, createLogger, maskValue, RunStats, type Logger, type RunEvent, type RunReport } from '../observe/index.js';
import { qualifiedName } from '../schema/index.js';
import { connectAdmin, prepareRun, type PreparedRun } from './prepare-run.js';
import { RunSettingsStore, type Queryable } from '../sink/index.js';
import { watchTuning, type TuningWatch } from './tuning-watch.js';
import { watchAdaptive } from './adaptive-reads.js';
import { copyBufferBytesOf } from './run-plan.js';
import { configuredLimits } from '../task/index.js';
import { RunFolder } from './run-folder.js';
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

/** Bookkeeping after the run: retried with the run's own backoff, since the rows are safe and only the record is missing. */
function withRunRetries<T>(config: LoadedConfig['config'], logger: Logger, what: string, attempt: () => Promise<T>): Promise<T> {
  return withRetries(runRetryPolicy(config), config.maxRetries + 1, attempt, ({ retry, delayMs, error }) => {
    logger.warn('retrying', { what, attempt: retry + 1, of: config.maxRetries + 1, inMs: delayMs, error: messageOf(error) });
  });
}

/** Up to here an exact count takes about a second on PostgreSQL; past it the count is skipped (null). */
const CHEAP_COUNT_ROWS = 5_000_000;

async function countIfCheap(admin: Queryable, table: string, expected: number): Promise<number | null> {
  if (expected > CHEAP_COUNT_ROWS) return null;
  const result = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(result.rows[0]?.n ?? 0);
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { config, ignoredKeys } = options.loaded;
  if (options.distributed && config.redis === undefined) {
    throw new C2yError('CONFIG_INVALID', '--distributed needs the Redis the workers serve', { hint: 'add --redis redis://host:6379 (or redis: in the config file, C2Y_REDIS in the environment)' });
  }
  if (options.distributed && options.runSigner === undefined) throw new C2yError('RUN_KEY_MISSING', '--distributed needs C2Y_RUN_KEY', { hint: 'set the same secret for the driver and every worker, e.g. export C2Y_RUN_KEY=$(openssl rand -hex 32)' });
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
  if (ignoredKeys.length > 0) logger.warn('ignored Spark keys with no meaning for c2y', { keys: ignoredKeys.join(',') });
  for (const note of options.loaded.derived) logger.info('setting derived from a Spark key', { setting: note });
  for (const warning of tlsWarnings(config)) logger.warn('INSECURE TLS: certificate checks are off', { detail: warning });

  const prepared = await prepareRun({ loaded: options.loaded, resume: options.resume, restart: options.restart, logger });
  try {
    return await runPrepared(options, prepared, { logger, runRoot, secrets, pendingLines, tee: (folderNow, onFailure) => {
      folder = folderNow;
      onFolderFailure = onFailure;
    } });
  } finally {
    await prepared.lock.release();
    // Already ended on the normal path; on an error path (e.g. an unreachable Redis) it would keep the process alive.
    await prepared.admin.end().catch(() => undefined);
  }
}

interface DriverLog {
  readonly logger: Logger;
  readonly runRoot: string;
  readonly secrets: readonly string[];
  readonly pendingLines: readonly string[];
  /** Points the log's tee at the run folder once it exists, and at what stops the run if the folder fails. */
  readonly tee: (folder: RunFolder, onFailure: () => void) => void;
}

/**
 * What executors (and workers) run with: the copy format decided against the target's columns, and pages of the
 * rows the plan allows (copyBufferSize and copyBufferBytes over the sampled row size: large rows, few to a page).
 */
function executorConfig(loaded: C2yConfig, prepared: PreparedRun): C2yConfig {
  return {
    ...loaded,
    source: { ...loaded.source, fetchSize: prepared.planned.memoryPerTask.pageRows },
    target: { ...loaded.target, copyFormat: prepared.copyFormat.format },
  };
}

async function runPrepared(options: MigrateOptions, prepared: PreparedRun, driver: DriverLog): Promise<MigrateResult> {
  const { ignoredKeys } = options.loaded;
  const loaded = options.loaded.config;
  const config = executorConfig(loaded, prepared);
  const { logger, runRoot, secrets, pendingLines } = driver;
  const files = RunFolder.forRun(runRoot, prepared.runId);
  const runFolder = files.path;
  files.write('run.log', pendingLines.map((line) => line + '\n').join(''));
  files.write('config.json', JSON.stringify(redactConfig(config), null, 2));

  const stats = new RunStats(prepared.allSplits.map((s) => s.id), prepared.doneSplitIds);
  stats.rowsBefore = prepared.rowsBefore;
  const listener = stats.listener;
  const eventLog = logger.child({ runId: prepared.runId });
  if (config.source.fetchSize < loaded.source.fetchSize) {
    eventLog.info('pages hold fewer rows than source.fetchSize', { rowsPerPage: config.source.fetchSize, fetchSize: loaded.source.fetchSize, why: `two pages of ~${prepared.planned.averageRowBytes} B rows within copyBufferSize ${loaded.copyBufferSize} rows and copyBufferBytes ${copyBufferBytesOf(loaded)} B` });
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
  options.signal.addEventListener('abort', () => runControl.abort(), { once: true });
  let lockLost: C2yError | undefined;
  prepared.lock.onLost((error) => {
    lockLost = error;
    eventLog.error('run lock lost; stopping the run', { error: error.message });
    runControl.abort();
  });
  let tooManyRejects = false;
  const watch = await (options.watch ?? noWatch)({
    config, stats, endpoints: prepared.endpoints, secrets, logger: eventLog,
    meta: {
      kind: 'migrate', runId: prepared.runId, source: `${config.source.keyspace}.${config.source.table}`,
      target: `${config.target.database}.${qualifiedName(prepared.target)}`, estimatedRows: prepared.plan.estimatedRows,
      planned: prepared.planned, config: redactConfig(config),
    },
  });
  let outcome;
  const redisUrl = options.distributed ? config.redis : undefined;
  // Distributed: each worker says its cores when it joins; streams at once = min(parallelism, their sum).
  const workerCores = new Map<number, number>();
  const runner: Runner = redisUrl === undefined ? localRunner : distributedRunner({
    redisUrl, source: `${config.source.keyspace}.${config.source.table}`, target: `${config.target.database}.${qualifiedName(prepared.target)}`,
    endpoints: prepared.endpoints, signer: options.runSigner as RunSigner,
  });
  if (redisUrl !== undefined) eventLog.info('distributed run: splits go to the workers of this Redis', { redis: redactUrl(redisUrl), splits: prepared.pendingSplits.length, globalStreamCap: Math.min(config.parallelism, prepared.pendingSplits.length) });
  // Both runners follow `c2y tune` (a resumed run starts with what was tuned before): a local run tells its
  // executors, a distributed one publishes the limits, signed, to its workers and sets its queue's concurrency.
  const limits = new LiveLimits(configuredLimits(config));
  const tuning: TuningWatch = watchTuning({ db: prepared.admin, store: new RunSettingsStore(config.target.checkpointSchema), runId: prepared.runId, base: configuredLimits(config), limits, log: eventLog });
  await tuning.poll();
  const adaptive = config.source.adaptive ? watchAdaptive({ limits, rowsRead: () => stats.rowsCommitted + stats.rowsInFlight, log: eventLog }) : undefined;
  try {
    const runInput = {
      limits,
      config, runId: prepared.runId, table: prepared.table, tasks: copyTasks(prepared.pendingSplits),
      balancer: prepared.balancer, signal: runControl.signal, log: eventLog,
      listener: (event: RunEvent) => {
        listener(event);
        adaptive?.observe(event);
        if (event.type === 'batch-committed' && event.rejected > 0 && config.onError === 'reject' && stats.rejected > config.maxErrors && !tooManyRejects) {
          tooManyRejects = true;
          eventLog.error('too many rejected rows; stopping the run', { rejected: stats.rejected, maxErrors: config.maxErrors });
          runControl.abort();
        }
        if (event.type === 'page-retry') eventLog.warn('page retry', { split: event.splitId, replica: event.replica, attempt: event.attempt, error: event.error });
        else if (event.type === 'split-retry') eventLog.warn('split retry', { split: event.splitId, node: event.node, attempt: event.attempt, of: config.maxRetries + 1, inMs: event.delayMs, error: event.error });
        else if (event.type === 'split-failed') eventLog.error('split failed', { split: event.splitId, node: event.node, code: event.code, error: event.error });
        else if (event.type === 'split-started' || event.type === 'split-finished') eventLog.debug(event.type, { split: event.splitId });
        else if (event.type === 'executor-exited' && !event.expected) eventLog.warn('executor exited', { executor: event.executor, code: event.code, signal: event.signal });
        else if (event.type === 'executor-started') workerCores.set(event.executor, event.cores);
        if (event.type === 'executor-started') eventLog.info('worker joined', { executor: event.executor, worker: event.worker, host: event.host, cores: event.cores });
      },
    };
    outcome = await runner.run(runInput);
  } catch (error) {
    tuning.stop();
    adaptive?.stop();
    await watch.finish('failed', (name, text) => files.write(name, text)).catch(() => undefined);
    throw error;
  }
  tuning.stop();
  const adaptiveSummary = adaptive?.stop();

  const ended: RunReport['status'] = tooManyRejects || lockLost || outcome.failed.length > 0 ? 'failed' : outcome.interrupted ? 'interrupted' : 'finished';
  // The driver's own connection sat idle through the run; the target may have restarted since. A fresh one, retried.
  await prepared.admin.end().catch(() => undefined);
  const admin = await withRunRetries(config, logger, 'reconnecting to the target to record the run', () => connectAdmin(prepared.endpoints, options.loaded));
  const rejects = await withRunRetries(config, logger, 'reading rejects', () => prepared.store.readRejects(admin, prepared.runId));
  // The checkpoints are the truth: a commit whose reply was lost to a dropped connection is counted there, not in the events.
  const checkpoints = await withRunRetries(config, logger, 'reading checkpoints', () => prepared.store.readCheckpoints(admin, prepared.runId));
  const valueRejects = rejects.filter((row) => row.kind === 'value').length;
  const rowsCommittedTotal = checkpoints.reduce((sum, checkpoint) => sum + checkpoint.rows, 0);
  // A finished run's checkpoints must describe the table: count it where that is cheap, and refuse to call it finished if not.
  const targetRows = ended === 'finished' ? await withRunRetries(config, logger, 'counting the target table', () => countIfCheap(admin, qualifiedName(prepared.target), rowsCommittedTotal)) : null;
  const countMismatch = targetRows !== null && targetRows !== rowsCommittedTotal;
  // Every split of the plan (which covers the ring exactly once, checked when planned and resumed) must be done.
  const doneIds = new Set(checkpoints.filter((checkpoint) => checkpoint.done).map((checkpoint) => checkpoint.splitId));
  const unscanned = ended === 'finished' ? prepared.allSplits.filter((split) => !doneIds.has(split.id)).map((split) => split.id) : [];
  const status: RunReport['status'] = countMismatch || unscanned.length > 0 ? 'failed' : ended;
  await watch.finish(status, (name, text) => files.write(name, text)).catch(() => undefined);
  if (rejects.length > 0 || config.onError === 'reject') {
    // Static-only partitions are written here whatever onError says: they are data the table could not take.
    writeQuietly(files, 'rejects.jsonl', rejects.map((row) => JSON.stringify(row)).join('\n') + (rejects.length > 0 ? '\n' : ''));
  }
  await prepared.store.setRunStatus(admin, prepared.runId, status).catch((error: unknown) => logger.warn('could not record the run status', { error: messageOf(error) }));
  await admin.end().catch(() => undefined);
  // Masked as a value (failure messages may quote what a server said), then written and returned.
  const report = maskValue(buildReport({
    runId: prepared.runId, status,
    source: `${config.source.keyspace}.${config.source.table}`, target: `${config.target.database}.${qualifiedName(prepared.target)}`,
    targetServer: `${prepared.server.dialect} (${prepared.server.version.split(' ').slice(0, 2).join(' ')})`,
    resumed: prepared.resumed, estimatedRows: prepared.plan.estimatedRows,
    splits: {
      requested: prepared.plan.counts.requested, token: prepared.plan.counts.tokenSplits, effective: prepared.plan.counts.effective,
      reason: prepared.plan.counts.reason, done: prepared.doneSplitIds.length + outcome.completed.length,
      failed: outcome.failed.map((f) => ({ splitId: f.splitId, code: f.error.code, message: f.error.message, attempts: f.attempts })),
    },
    concurrency: runner.kind === 'local'
      ? { executors: Math.min(config.executors, Math.max(1, prepared.pendingSplits.length)), cores: config.cores, concurrentTasks: Math.min(config.executors * config.cores, Math.max(1, prepared.pendingSplits.length)) }
      // Distributed: the workers that joined; streams at once are capped by the run's parallelism across all of them.
      : { executors: workerCores.size, cores: Math.max(0, ...workerCores.values()), concurrentTasks: Math.min(config.parallelism, Math.max(1, prepared.pendingSplits.length), [...workerCores.values()].reduce((sum, n) => sum + n, 0)) },
    planned: prepared.planned,
    rejects: valueRejects, staticOnlyPartitions: rejects.length - valueRejects, ignoredKeys, rowsCommittedTotal, targetRowsCounted: targetRows,
    copyFormat: { format: prepared.copyFormat.format, reason: prepared.copyFormat.reason },
    adaptive: adaptiveSummary ?? null,
    resumeCommand: status === 'finished' ? null : options.resumeCommand(prepared.runId),
  }, stats), secrets);
  writeQuietly(files, 'report.json', JSON.stringify(report, null, 2));
  logger.info('run ended', { runId: prepared.runId, status, rows: report.rows, seconds: report.durationSeconds, rowsPerSecond: report.rowsPerSecond });

  const failure = runEndFailure({
    runId: prepared.runId, runFolder, folderFailure: files.failure, lockLost, unscanned, tooManyRejects, valueRejects, outOfMemory: outcome.outOfMemory,
    count: countMismatch ? { checkpointRows: rowsCommittedTotal, targetRows: targetRows ?? 0, table: qualifiedName(prepared.target) } : undefined,
    config, resumeCommand: options.resumeCommand(prepared.runId),
  });
  if (failure) throw failure;
  return { report, runFolder };
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
    return new C2yError('TARGET_COUNT_MISMATCH', `run ${runId}: the checkpoints say ${end.count.checkpointRows} rows were committed, but ${end.count.table} holds ${end.count.targetRows}; the table was changed outside this run`, {
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
