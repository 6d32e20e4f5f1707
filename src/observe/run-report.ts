import { formatBytes } from '../config/index.js';
import type { LatencyQuantiles } from '../telemetry/index.js';
import { slowestStreams, type StreamLatency } from './stream-latency.js';
import type { ExecutorStats, RunStats } from './run-stats.js';
import type { ExecutorSession, PageBufferCounts } from './run-events.js';
import { executorsAdvice, verdictAdvice, verdictOf, type TargetWaitsReport, type TimeSplitMs, type Verdict } from '../telemetry/index.js';

/** A keyspace run's table as its report shows it (the keyspace report lists one per table) in the keyspace report: its own rows, time, rate, rejects and memory. */
export interface TableReport {
  readonly table: string;
  readonly target: string;
  /** The table's own run id (its checkpoints); the keyspace run's id names the whole run. */
  readonly runId: string;
  readonly status: 'finished' | 'failed' | 'interrupted';
  readonly resumed: boolean;
  readonly rows: number;
  readonly rowsTotal: number;
  readonly targetRowsCounted: number | null;
  readonly estimatedRows: number;
  readonly splits: { readonly total: number; readonly done: number; readonly failed: number };
  /** From its first split's start to its last split's end in this run (0: nothing ran). */
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly rejects: number;
  readonly staticOnlyPartitions: number;
  readonly copyFormat: 'text' | 'binary';
  /** The planner's memory for one of its tasks (pages of its rows, encode buffer, connection). */
  readonly plannedTaskBytes: number;
  /** Its secondary indexes made on the target after its rows were in, and those with no equivalent. */
  readonly indexes: { readonly created: readonly string[]; readonly notCreated: ReadonlyArray<{ readonly name: string; readonly reason: string }> };
}

/** A table a keyspace run left out, and why (--skip-unsupported, or a materialized view). */
export interface SkippedTable {
  readonly table: string;
  readonly reason: string;
}

export interface RunReport {
  readonly runId: string;
  readonly status: 'finished' | 'failed' | 'interrupted';
  readonly source: string;
  readonly target: string;
  readonly targetServer: string;
  readonly resumed: boolean;
  readonly rows: number;
  /** Rows committed by this run and the ones it resumes, read from the checkpoints at the end. */
  readonly rowsTotal: number;
  /** Rows whose commit reached the target although the reply was lost (a dropped connection): counted in rowsTotal. */
  readonly rowsUnconfirmed: number;
  /** count(*) of the target at the end of a finished run (null: not finished, or too large to count cheaply); must equal rowsTotal. */
  readonly targetRowsCounted: number | null;
  readonly estimatedRows: number;
  readonly durationSeconds: number;
  /** Seconds planning and checking took before the first split started (not in durationSeconds): over a WAN, mostly round trips. */
  readonly prepareSeconds: number;
  readonly rowsPerSecond: number;
  readonly bytes: number;
  readonly commits: number;
  readonly splits: {
    readonly requested: number;
    readonly token: number;
    readonly effective: number;
    readonly reason: string;
    readonly done: number;
    readonly failed: ReadonlyArray<{ readonly splitId: number; readonly code: string; readonly message: string; readonly attempts: number }>;
  };
  readonly concurrency: { readonly executors: number; readonly cores: number; readonly concurrentTasks: number };
  readonly streamsPerNode: Readonly<Record<string, number>>;
  readonly streamsPerServerAddress: Readonly<Record<string, number>>;
  readonly executors: ReadonlyArray<ExecutorReport>;
  readonly planned: PlannedFiguresJson;
  readonly retries: number;
  /** Page reads asked again within their split: 0 on a healthy source. */
  readonly pageRetries: number;
  /** Time streams waited to keep source.readsPerSecond / target.rowsPerSecond / target.bytesPerSecond, summed over streams. */
  readonly throttledSeconds: number;
  /** source.adaptive: how often the reads were backed off, the lowest cap, and how long a cap held; null when off. */
  /** What this run's backends on the driver's target node were doing, sampled every second; null when never sampled. */
  readonly targetWaits: TargetWaitsReport | null;
  readonly adaptive: { readonly backoffs: number; readonly lowestRowsPerSecond: number | null; readonly cappedSeconds: number } | null;
  /** Rows the target could not hold (onError: reject). */
  readonly rejects: number;
  /** Partitions holding only static cells: recorded in rejects.jsonl with kind static-only, never in the table. */
  readonly staticOnlyPartitions: number;
  readonly ignoredKeys: readonly string[];
  /** COPY text or binary, and why (target.copyFormat and the target's column types). */
  readonly copyFormat: { readonly format: 'text' | 'binary'; readonly reason: string };
  /**
   * target.onExisting skip or update (null: refuse): rows read whose key the target already held (skip: left as they
   * were; update: rewritten where a column differed), and the rows the target held when the run began (null: too many to count).
   */
  readonly existing: { readonly mode: 'skip' | 'update'; readonly rows: number; readonly heldBefore: number | null } | null;
  /**
   * `c2y catchup`: the finished run it catches up from, its cut-off (that run's start less the margin), and the rows
   * this attempt read whose newest write time is before it (left alone). null for other runs.
   */
  readonly catchup: { readonly basisRunId: string; readonly since: string; readonly rowsOlder: number } | null;
  readonly resumeCommand: string | null;
  /** A keyspace run: each table's own figures, largest first, and the tables it left out. */
  readonly tables?: readonly TableReport[];
  readonly skippedTables?: readonly SkippedTable[];
  /** How pages were read: raw pages transcoded to COPY text, or the driver's rows (with the reason), per executor. */
  readonly readPath: {
    readonly rawExecutors: number;
    readonly driverRowsExecutors: number;
    readonly details: readonly string[];
    /** Pages of raw scans that arrived as the driver's rows (the hook let them through): 0 when the fast path held. */
    readonly driverPages: number;
  };
  /** Cells of raw pages written by the reference path (driver decode + encoder): types with no transcoder yet. */
  readonly referenceCells: number;
  /** All streams' time: waiting on Cassandra, transcoding, waiting on the target; and what bounds the run. */
  readonly timeSplit: TimeSplitReport;
  /** A local run whose executors together used little CPU: run them as one (see telemetry/executor-advice.ts); null otherwise. */
  readonly executorsAdvice: string | null;
  /** Round trips to the target of the committed work: in all, per commit, per split (set-up included). */
  readonly roundTrips: { readonly total: number; readonly perCommit: number; readonly perSplit: number };
  /** Every page read's and every commit's latency, in ms (bucket upper bounds: never better than the truth). */
  readonly latency: { readonly pageReadMs: LatencyQuantiles; readonly commitMs: LatencyQuantiles };
  /** The streams (splits) whose page reads were slowest, with their own p50/p99: a hot replica or range shows here. */
  readonly slowestStreams: readonly StreamLatency[];
}

export interface TimeSplitReport {
  readonly sourceWaitSeconds: number;
  readonly transcodeSeconds: number;
  readonly targetWaitSeconds: number;
  readonly verdict: Verdict;
  readonly advice: string;
}

/** The planner's figures (see run/run-plan.ts), as plain data. */
export interface PlannedFiguresJson {
  readonly averageRowBytes: number;
  readonly decodedRowBytes: number;
  readonly memoryPerTask: { readonly pageRows: number; readonly encodeBufferBytes: number; readonly pageBytes: number; readonly connectionBytes: number; readonly total: number };
  readonly concurrentTasksPerExecutor: number;
  readonly safetyFactor: number;
  readonly requiredExecutorBytes: number;
  /** V8's young generation, per executor: short-lived rows live there between scavenges. */
  readonly youngGenerationBytes: number;
  /** Garbage an executor may hold before V8's first full collection (see OLD_SPACE_FLOOR_MIB). */
  readonly oldSpaceFloorBytes: number;
  readonly executorMemoryBytes: number;
  readonly headroom: number;
  readonly connectionsPerNode: number;
  readonly targetRttMs: number;
  readonly assumedStreamRowsPerSecond: number;
  readonly expectedRowsPerSecond: number;
}

export interface ExecutorReport {
  readonly executor: number;
  /** Distributed runs: the worker (and its host) that ran this executor. */
  readonly worker: string | null;
  readonly peakRssBytes: number;
  readonly peakHeapUsedBytes: number;
  readonly heapLimitBytes: number;
  /** RSS once started, before any task. */
  readonly baselineRssBytes: number;
  readonly baselineHeapUsedBytes: number;
  /**
   * The plan's ceiling for this executor: its measured baseline RSS, room for V8 to let the baseline heap double
   * before collecting it, the young generation, and the tasks' planned need (which carries the safety factor).
   */
  readonly plannedPeakRssBytes: number;
  readonly withinPlan: boolean;
  readonly gcMs: number;
  /**
   * Page frame buffers made new and reused: made new should stay near 2 × cores however many pages are read; one
   * that grows with the splits or pages means pages are left to the collector (memory that grows with the run).
   */
  readonly pageBuffers: PageBufferCounts;
  /** Sets of split-stream buffers (COPY chunks, line identities) made: at most cores; one per split would be garbage each split. */
  readonly streamBuffersMade: number;
  /** Full collections its old-space bound asked for (old-space-bound.ts). */
  readonly fullCollections: number;
  readonly rows: number;
  readonly tasksDone: number;
  readonly tasksFailed: number;
  readonly cpuSeconds: number;
  /** CPU over wall time while it ran, as a share of one core (null: ran under a second). */
  readonly cpuShareOfOneCore: number | null;
  readonly timeSplit: TimeSplitReport;
  /** Its Cassandra session: opened while the run was planned (a local run's executors start early), and init's wait for it. */
  readonly cassandraSession: ExecutorSession | null;
}

export type ReportBase = Omit<RunReport, 'roundTrips' | 'timeSplit' | 'targetWaits' | 'executorsAdvice' | 'readPath' | 'referenceCells' | 'rows' | 'rowsTotal' | 'rowsUnconfirmed' | 'durationSeconds' | 'rowsPerSecond' | 'bytes' | 'commits' | 'streamsPerNode' | 'streamsPerServerAddress' | 'executors' | 'retries' | 'pageRetries' | 'latency' | 'slowestStreams' | 'throttledSeconds'>;

/** "p50 3 ms, p99 12 ms, p99.9 40 ms (1,234)", or "none". */
export function latencyText(q: LatencyQuantiles): string {
  if (q.count === 0) return 'none';
  return `p50 ${q.p50 ?? '?'} ms, p99 ${q.p99 ?? '?'} ms, p99.9 ${q.p999 ?? '?'} ms (${q.count.toLocaleString('en-US')})`;
}

export function buildReport(base: ReportBase & { readonly rowsCommittedTotal: number }, stats: RunStats): RunReport {
  const durationSeconds = stats.elapsedSeconds();
  const { rowsCommittedTotal, ...rest } = base;
  const rows = rowsCommittedTotal - stats.rowsBefore;
  const executors = executorReports(base, stats);
  return {
    ...rest,
    rows,
    rowsTotal: rowsCommittedTotal,
    rowsUnconfirmed: rows - stats.rowsCommitted,
    durationSeconds: Math.round(durationSeconds * 1000) / 1000,
    rowsPerSecond: Math.round(rows / Math.max(durationSeconds, 0.001)),
    bytes: stats.bytesCommitted,
    commits: stats.commits,
    streamsPerNode: Object.fromEntries(stats.streamsPerNode),
    streamsPerServerAddress: Object.fromEntries(stats.streamsPerServerAddress),
    executors,
    executorsAdvice: executorsAdvice(executors, base.concurrency.concurrentTasks),
    retries: stats.retries,
    pageRetries: stats.pageRetries,
    throttledSeconds: Math.round(stats.throttledMs / 100) / 10,
    readPath: readPathOf(stats),
    timeSplit: runTimeSplit(stats),
    targetWaits: stats.targetWaits.summary(),
    latency: { pageReadMs: stats.latencies.quantiles('pageRead'), commitMs: stats.latencies.quantiles('commit') },
    slowestStreams: slowestStreams(stats),
    roundTrips: {
      total: stats.roundTrips,
      perCommit: Math.round((stats.roundTrips / Math.max(1, stats.commits)) * 100) / 100,
      perSplit: Math.round((stats.roundTrips / Math.max(1, stats.countSplits('done'))) * 100) / 100,
    },
    referenceCells: stats.referenceCells,
  };
}

function executorReports(base: ReportBase, stats: RunStats): ExecutorReport[] {
  return [...stats.executors].sort(([a], [b]) => a - b).map(([executor, e]) => {
    const plannedPeakRssBytes = e.baselineRss + e.baselineHeapUsed + base.planned.youngGenerationBytes + base.planned.oldSpaceFloorBytes + base.planned.requiredExecutorBytes;
    return {
      executor, worker: e.worker, peakRssBytes: e.peakRss, peakHeapUsedBytes: e.peakHeapUsed, heapLimitBytes: e.heapLimit, baselineRssBytes: e.baselineRss, baselineHeapUsedBytes: e.baselineHeapUsed,
      plannedPeakRssBytes, withinPlan: e.peakRss <= plannedPeakRssBytes, gcMs: e.gcMs, pageBuffers: e.pageBuffers, streamBuffersMade: e.streamBuffersMade, fullCollections: e.fullCollections, rows: e.rows, tasksDone: e.tasksDone, tasksFailed: e.tasksFailed,
      ...executorTime(stats, e), cassandraSession: e.session,
    };
  });
}

function timeSplitReport(split: TimeSplitMs, verdict: Verdict): TimeSplitReport {
  const seconds = (ms: number): number => Math.round(ms) / 1000;
  return { sourceWaitSeconds: seconds(split.sourceWaitMs), transcodeSeconds: seconds(split.transcodeMs), targetWaitSeconds: seconds(split.targetWaitMs), verdict, advice: verdictAdvice(verdict) };
}

function executorTime(stats: RunStats, executor: ExecutorStats): Pick<ExecutorReport, 'cpuSeconds' | 'cpuShareOfOneCore' | 'timeSplit'> {
  const share = stats.cpuShare(executor);
  return {
    cpuSeconds: executor.cpuMs / 1000,
    cpuShareOfOneCore: share === undefined ? null : Math.round(share * 100) / 100,
    timeSplit: timeSplitReport(executor.timeSplit, verdictOf(executor.timeSplit, share)),
  };
}

/** The run is CPU-bound when most of its executors are; otherwise what its streams waited on most. */
function runTimeSplit(stats: RunStats): TimeSplitReport {
  const executors = [...stats.executors.values()];
  const cpuBound = executors.filter((e) => verdictOf(e.timeSplit, stats.cpuShare(e)) === 'CPU-bound').length;
  const verdict = executors.length > 0 && cpuBound * 2 > executors.length ? 'CPU-bound' : verdictOf(stats.timeSplit, undefined);
  return timeSplitReport(stats.timeSplit, verdict);
}

function readPathOf(stats: RunStats): RunReport['readPath'] {
  const paths = [...stats.readPaths.values()];
  const raw = paths.filter((detail) => detail === 'raw pages').length;
  return { rawExecutors: raw, driverRowsExecutors: paths.length - raw, details: [...new Set(paths)], driverPages: stats.driverPages };
}

export function renderReport(report: RunReport): string {
  const rows: Array<[string, string]> = [
    ['run', `${report.runId} (${report.status}${report.resumed ? ', resumed' : ''})`],
    ['source → target', `${report.source} → ${report.target}`],
    ['target server', report.targetServer],
    ['rows', `${report.rows.toLocaleString('en-US')} this run, ${report.rowsTotal.toLocaleString('en-US')} in total (estimated ${report.estimatedRows.toLocaleString('en-US')})${report.rowsUnconfirmed > 0 ? `; ${report.rowsUnconfirmed.toLocaleString('en-US')} of them committed while their connection dropped (found in the checkpoints)` : ''}${report.targetRowsCounted !== null ? `; target table counted: ${report.targetRowsCounted.toLocaleString('en-US')}` : ''}`],
    ['duration', `${report.durationSeconds.toFixed(1)} s, after ${report.prepareSeconds.toFixed(1)} s of planning and checks`],
    ['throughput', `${report.rowsPerSecond.toLocaleString('en-US')} rows/s, ${formatBytes(report.bytes / Math.max(report.durationSeconds, 0.001))}/s`],
    ['splits', `requested ${report.splits.requested}, token ${report.splits.token}, effective ${report.splits.effective}; ${report.splits.done} done, ${report.splits.failed.length} failed`],
    ['why effective', report.splits.reason],
    ['concurrency', `${report.concurrency.executors} executors × ${report.concurrency.cores} cores = ${report.concurrency.concurrentTasks} streams at once`],
    ['server-side nodes', Object.entries(report.streamsPerServerAddress).map(([node, n]) => `${node}: ${n}`).join(', ') || '-'],
    ...plannedLines(report.planned),
    ...report.executors.map((e): [string, string] => [`executor ${e.executor}${e.worker ? ` (${e.worker})` : ''}`, `peak RSS ${formatBytes(e.peakRssBytes)} (planned ≤ ${formatBytes(e.plannedPeakRssBytes)} = baseline ${formatBytes(e.baselineRssBytes)} + GC room ${formatBytes(e.baselineHeapUsedBytes)} + young gen + old-space floor + tasks; ${e.withinPlan ? 'within plan' : 'ABOVE PLAN'}), peak heap ${formatBytes(e.peakHeapUsedBytes)} of ${formatBytes(e.heapLimitBytes)}, GC ${(e.gcMs / 1000).toFixed(1)} s, page buffers ${e.pageBuffers.allocated} new / ${e.pageBuffers.reused} reused (${e.pageBuffers.framed} pages read straight into them), ${e.streamBuffersMade} stream buffer set(s), ${e.fullCollections} bounded full collection(s), CPU ${e.cpuSeconds.toFixed(1)} s${e.cpuShareOfOneCore === null ? '' : ` (${Math.round(e.cpuShareOfOneCore * 100)} % of a core)`}, ${e.timeSplit.verdict}, ${e.rows.toLocaleString('en-US')} rows, ${e.tasksDone} splits`]),
    ['rows/s', `measured ${report.rowsPerSecond.toLocaleString('en-US')}; model ${report.planned.expectedRowsPerSecond.toLocaleString('en-US')} (${report.concurrency.concurrentTasks} streams, RTT ${report.planned.targetRttMs} ms, assumed ${report.planned.assumedStreamRowsPerSecond.toLocaleString('en-US')} rows/s per stream)`],
    ['streams per node', `planned ≤ ${report.planned.connectionsPerNode} at once; opened: ${Object.entries(report.streamsPerNode).map(([node, n]) => `${node}: ${n}`).join(', ') || '-'}`],
    ...(report.throttledSeconds > 0 ? [['throttled', `streams waited ${report.throttledSeconds} s in all to keep the rate limits`] as [string, string]] : []),
    ...(report.adaptive ? [['adaptive reads', report.adaptive.backoffs === 0 ? 'on; Cassandra never asked for a back-off' : `backed off ${report.adaptive.backoffs} time(s), to ${report.adaptive.lowestRowsPerSecond?.toLocaleString('en-US') ?? '?'} rows/s at the lowest; capped for ${report.adaptive.cappedSeconds} s`] as [string, string]] : []),
    ['latency', `page reads ${latencyText(report.latency.pageReadMs)}; commits ${latencyText(report.latency.commitMs)}`],
    ...(report.slowestStreams.length > 0 ? [['slowest streams', report.slowestStreams.map((s) => `split ${s.splitId}: read p50/p99 ${s.pageReadMs.p50 ?? '?'}/${s.pageReadMs.p99 ?? '?'} ms`).join('; ')] as [string, string]] : []),
    ['time split', `${report.timeSplit.verdict}: streams waited on Cassandra ${report.timeSplit.sourceWaitSeconds.toFixed(1)} s, transcoded ${report.timeSplit.transcodeSeconds.toFixed(1)} s, waited on the target ${report.timeSplit.targetWaitSeconds.toFixed(1)} s (${report.timeSplit.advice})`],
    ...(report.executorsAdvice === null ? [] : [['executors', report.executorsAdvice] as [string, string]]),
    ...targetWaitsLines(report.targetWaits),
    ['read path', `${report.readPath.details.join('; ') || '-'}${report.readPath.driverRowsExecutors > 0 && report.readPath.rawExecutors > 0 ? ` (${report.readPath.rawExecutors} executor(s) raw, ${report.readPath.driverRowsExecutors} on driver rows)` : ''}${report.referenceCells > 0 ? `; ${report.referenceCells.toLocaleString('en-US')} cell(s) by the reference path` : ''}${report.readPath.driverPages > 0 ? `; ${report.readPath.driverPages.toLocaleString('en-US')} page(s) of raw scans decoded by the driver` : ''}`],
    ['copy format', `${report.copyFormat.format} (${report.copyFormat.reason})`],
    ...(report.existing ? [['on existing', existingLine(report.existing)] as [string, string]] : []),
    ...(report.catchup ? [['catch-up', `rows written since ${report.catchup.since} (run ${report.catchup.basisRunId} began, less the margin): ${report.rows.toLocaleString('en-US')}; ${report.catchup.rowsOlder.toLocaleString('en-US')} older row(s) read and left alone`] as [string, string]] : []),
    ['commits / retries / rejects', `${report.commits} / ${report.retries} / ${report.rejects}`],
    ...(report.pageRetries > 0 ? [['page retries', `${report.pageRetries} page read(s) asked again within their split (timeouts or replicas failing)`] as [string, string]] : []),
    ['round trips', `${report.roundTrips.total.toLocaleString('en-US')} to the target: ${report.roundTrips.perCommit} per commit, ${report.roundTrips.perSplit} per split`],
    ...(report.staticOnlyPartitions > 0 ? [['static-only', `${report.staticOnlyPartitions} partition(s) with only static cells: in rejects.jsonl (kind static-only), not in the table`] as [string, string]] : []),
  ];
  if (report.ignoredKeys.length > 0) rows.push(['ignored keys', report.ignoredKeys.join(', ')]);
  for (const failure of report.splits.failed) rows.push([`split ${failure.splitId} failed`, `${failure.code}: ${failure.message} (attempts ${failure.attempts})`]);
  for (const table of report.tables ?? []) rows.push([`table ${table.table}`, tableLine(table)]);
  for (const skipped of report.skippedTables ?? []) rows.push([`skipped ${skipped.table}`, skipped.reason]);
  if (report.resumeCommand) rows.push(['resume with', report.resumeCommand]);
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

function existingLine(existing: NonNullable<RunReport['existing']>): string {
  const held = existing.heldBefore === null ? 'too many rows to count when the run began' : `${existing.heldBefore.toLocaleString('en-US')} rows when the run began`;
  const what = existing.mode === 'skip' ? 'left as they were' : 'rewritten only where a column differed';
  return `${existing.mode}: ${existing.rows.toLocaleString('en-US')} row(s) read had their key in the target (${what}); the target held ${held}`;
}

/** One table of a keyspace run: status, rows, time, rate, splits, rejects, memory and indexes. */
function tableLine(table: TableReport): string {
  const rejects = table.rejects + table.staticOnlyPartitions > 0 ? `, ${table.rejects} rejected, ${table.staticOnlyPartitions} static-only` : '';
  const indexes = table.indexes.created.length + table.indexes.notCreated.length > 0
    ? `; indexes: ${table.indexes.created.length} created${table.indexes.notCreated.length > 0 ? `, not created: ${table.indexes.notCreated.map((i) => `${i.name} (${i.reason})`).join(', ')}` : ''}`
    : '';
  return `${table.status}${table.resumed ? ' (resumed)' : ''}: ${table.rows.toLocaleString('en-US')} rows this run, ${table.rowsTotal.toLocaleString('en-US')} in total → ${table.target}; `
    + `${table.seconds.toFixed(1)} s, ${table.rowsPerSecond.toLocaleString('en-US')} rows/s; splits ${table.splits.done}/${table.splits.total} done${table.splits.failed > 0 ? `, ${table.splits.failed} failed` : ''}; `
    + `${table.copyFormat}, ${formatBytes(table.plannedTaskBytes)} per task${rejects}${indexes} (run ${table.runId})`;
}

function plannedLines(planned: PlannedFiguresJson): Array<[string, string]> {
  const task = planned.memoryPerTask;
  return [
    ['row size', `${planned.averageRowBytes} B encoded, ~${planned.decodedRowBytes} B decoded (sampled)`],
    ['memory per task', `pages ${formatBytes(task.pageBytes)} (2 × ${task.pageRows} rows) + encode ${formatBytes(task.encodeBufferBytes)} + connection ${formatBytes(task.connectionBytes)} = ${formatBytes(task.total)} (planned)`],
    ['executor need', `${planned.concurrentTasksPerExecutor} tasks × ${formatBytes(task.total)} × ${planned.safetyFactor} = ${formatBytes(planned.requiredExecutorBytes)} of executorMemory ${formatBytes(planned.executorMemoryBytes)} (headroom ${planned.headroom})`],
  ];
}

/** "sampled 12 times on 127.0.0.1:5432: CPU 45 %, Lock:extend 20 %, …" and the advice it earned. */
function targetWaitsLines(waits: TargetWaitsReport | null): Array<[string, string]> {
  if (waits === null || waits.backendSamples === 0) return [];
  const shares = waits.waits.map((w) => `${w.wait} ${Math.round((w.backends / waits.backendSamples) * 100)} %`).join(', ');
  const line: [string, string] = ['target waits', `sampled ${waits.samples} time(s) on ${waits.node}, ${waits.backendSamples.toLocaleString('en-US')} backend sample(s): ${shares}`];
  return waits.advice === null ? [line] : [line, ['target advice', waits.advice]];
}
