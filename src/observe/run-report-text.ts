import { formatBytes } from '../config/index.js';
import type { LatencyQuantiles, TargetWaitsReport } from '../telemetry/index.js';
import type { ExecutorReport, PlannedFiguresJson, RunReport, TableReport } from './run-report-types.js';

/** "p50 3 ms, p99 12 ms, p99.9 40 ms (1,234)", or "none". */
function latencyText(q: LatencyQuantiles): string {
  if (q.count === 0) return 'none';
  return `p50 ${q.p50 ?? '?'} ms, p99 ${q.p99 ?? '?'} ms, p99.9 ${q.p999 ?? '?'} ms (${q.count.toLocaleString('en-US')})`;
}
/** The report as aligned `key  value` lines: the terminal's and report.txt's. */
export function renderReport(report: RunReport): string {
  const rows: Array<[string, string]> = [
    ...runLines(report),
    ...plannedLines(report.planned),
    ...report.executors.map(executorLine),
    ...rateLines(report),
    ...pathLines(report),
    ...closingLines(report),
  ];
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

/** What ran, from where to where, how much and how fast, and how it was cut and spread. */
function runLines(report: RunReport): Array<[string, string]> {
  return [
    ['run', `${report.runId} (${report.status}${report.resumed ? ', resumed' : ''})`],
    ['source → target', `${report.source} → ${report.target}`],
    ['target server', report.targetServer],
    ['rows', `${report.rows.toLocaleString('en-US')} this run, ${report.rowsTotal.toLocaleString('en-US')} in total (estimated ${report.estimatedRows.toLocaleString('en-US')})${report.rowsUnconfirmed > 0 ? `; ${report.rowsUnconfirmed.toLocaleString('en-US')} of them committed while their connection dropped (found in the checkpoints)` : ''}${report.targetRowsCounted !== null ? `; target table counted: ${report.targetRowsCounted.toLocaleString('en-US')}` : ''}`],
    ['duration', `${report.durationSeconds.toFixed(1)} s (of which ${report.finishSeconds.toFixed(1)} s recording its end), after ${report.prepareSeconds.toFixed(1)} s of planning and checks`],
    ['throughput', `${report.rowsPerSecond.toLocaleString('en-US')} rows/s, ${formatBytes(report.bytes / Math.max(report.durationSeconds, 0.001))}/s`],
    ['splits', `requested ${report.splits.requested}, token ${report.splits.token}, effective ${report.splits.effective}; ${report.splits.done} done, ${report.splits.failed.length} failed`],
    ['why effective', report.splits.reason],
    ['concurrency', `${report.concurrency.executors} executors × ${report.concurrency.cores} cores = ${report.concurrency.concurrentTasks} streams at once`],
    ['server-side nodes', Object.entries(report.streamsPerServerAddress).map(([node, n]) => `${node}: ${n}`).join(', ') || '-'],
  ];
}

/** An executor's memory against its plan, its buffers, CPU and verdict. */
function executorLine(e: ExecutorReport): [string, string] {
  const name = `executor ${e.executor}${e.worker ? ` (${e.worker})` : ''}`;
  if (!e.ready) return [name, 'started, but the run ended before it was ready: it ran no split'];
  return [name, `peak RSS ${formatBytes(e.peakRssBytes)} (planned ≤ ${formatBytes(e.plannedPeakRssBytes)} = baseline ${formatBytes(e.baselineRssBytes)} + GC room ${formatBytes(e.baselineHeapUsedBytes)} + young gen + old-space floor + tasks; ${e.withinPlan ? 'within plan' : 'ABOVE PLAN'}), peak heap ${formatBytes(e.peakHeapUsedBytes)} of ${formatBytes(e.heapLimitBytes)}, GC ${(e.gcMs / 1000).toFixed(1)} s, page buffers ${e.pageBuffers.allocated} new / ${e.pageBuffers.reused} reused (${e.pageBuffers.framed} pages read straight into them${e.pageBuffers.atOnce ? `, at most ${e.pageBuffers.atOnce} in use at once` : ''}), ${e.streamBuffersMade} stream buffer set(s), ${e.fullCollections} bounded full collection(s), CPU ${e.cpuSeconds.toFixed(1)} s${e.cpuShareOfOneCore === null ? '' : ` (${Math.round(e.cpuShareOfOneCore * 100)} % of a core)`}, ${e.timeSplit.verdict}, ${e.rows.toLocaleString('en-US')} rows, ${e.tasksDone} splits`];
}

/** The rate against the model, the streams, the limits and where the time went. */
function rateLines(report: RunReport): Array<[string, string]> {
  return [
    ['rows/s', `measured ${report.rowsPerSecond.toLocaleString('en-US')}; model ${report.planned.expectedRowsPerSecond.toLocaleString('en-US')} (${report.concurrency.concurrentTasks} streams, RTT ${report.planned.targetRttMs} ms, assumed ${report.planned.assumedStreamRowsPerSecond.toLocaleString('en-US')} rows/s per stream)`],
    ['streams per node', `planned ≤ ${report.planned.connectionsPerNode} at once; opened: ${Object.entries(report.streamsPerNode).map(([node, n]) => `${node}: ${n}`).join(', ') || '-'}`],
    ...(report.throttledSeconds > 0 ? [['throttled', `streams waited ${report.throttledSeconds} s in all to keep the rate limits`] as [string, string]] : []),
    ...(report.adaptive ? [['adaptive reads', report.adaptive.backoffs === 0 ? 'on; Cassandra never asked for a back-off' : `backed off ${report.adaptive.backoffs} time(s), to ${report.adaptive.lowestRowsPerSecond?.toLocaleString('en-US') ?? '?'} rows/s at the lowest; capped for ${report.adaptive.cappedSeconds} s`] as [string, string]] : []),
    ['latency', `page reads ${latencyText(report.latency.pageReadMs)}; commits ${latencyText(report.latency.commitMs)}`],
    ...(report.slowestStreams.length > 0 ? [['slowest streams', report.slowestStreams.map((s) => `split ${s.splitId}: read p50/p99 ${s.pageReadMs.p50 ?? '?'}/${s.pageReadMs.p99 ?? '?'} ms`).join('; ')] as [string, string]] : []),
    ['time split', `${report.timeSplit.verdict}: streams waited on Cassandra ${report.timeSplit.sourceWaitSeconds.toFixed(1)} s, transcoded ${report.timeSplit.transcodeSeconds.toFixed(1)} s, waited on the target ${report.timeSplit.targetWaitSeconds.toFixed(1)} s (${report.timeSplit.advice})`],
    ...(report.executorsAdvice === null ? [] : [['executors', report.executorsAdvice] as [string, string]]),
    ...targetWaitsLines(report.targetWaits),
  ];
}

/** How rows were read and written, and what they met on the way. */
function pathLines(report: RunReport): Array<[string, string]> {
  return [
    ['read path', `${report.readPath.details.join('; ') || '-'}${report.readPath.driverRowsExecutors > 0 && report.readPath.rawExecutors > 0 ? ` (${report.readPath.rawExecutors} executor(s) raw, ${report.readPath.driverRowsExecutors} on driver rows)` : ''}${report.referenceCells > 0 ? `; ${report.referenceCells.toLocaleString('en-US')} cell(s) by the reference path` : ''}${report.readPath.driverPages > 0 ? `; ${report.readPath.driverPages.toLocaleString('en-US')} page(s) of raw scans decoded by the driver` : ''}`],
    ['copy format', `${report.copyFormat.format} (${report.copyFormat.reason})`],
    ...(report.existing ? [['on existing', existingLine(report.existing)] as [string, string]] : []),
    ...(report.catchup ? [['catch-up', `rows written since ${report.catchup.since} (run ${report.catchup.basisRunId} began, less the margin): ${report.rows.toLocaleString('en-US')}; ${report.catchup.rowsOlder.toLocaleString('en-US')} older row(s) read and left alone`] as [string, string]] : []),
    ['commits / retries / rejects', `${report.commits} / ${report.retries} / ${report.rejects}`],
    ...(report.pageRetries > 0 ? [['page retries', `${report.pageRetries} page read(s) asked again within their split (timeouts or replicas failing)`] as [string, string]] : []),
    ['round trips', `${report.roundTrips.total.toLocaleString('en-US')} to the target: ${report.roundTrips.perCommit} per commit, ${report.roundTrips.perSplit} per split${connectionsOf(report.roundTrips.splitConnections)}`],
    ...(report.staticOnlyPartitions > 0 ? [['static-only', `${report.staticOnlyPartitions} partition(s) with only static cells: in rejects.jsonl (kind static-only), not in the table`] as [string, string]] : []),
  ];
}

/** Keys, failures, a keyspace run's tables, and how to resume. */
function closingLines(report: RunReport): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (report.ignoredKeys.length > 0) rows.push(['ignored keys', report.ignoredKeys.join(', ')]);
  for (const failure of report.splits.failed) rows.push([`split ${failure.splitId} failed`, `${failure.code}: ${failure.message} (attempts ${failure.attempts})${failure.hint ? `; ${failure.hint}` : ''}`]);
  for (const table of report.tables ?? []) rows.push([`table ${table.table}`, tableLine(table)]);
  for (const skipped of report.skippedTables ?? []) rows.push([`skipped ${skipped.table}`, skipped.reason]);
  if (report.resumeCommand) rows.push(['resume with', report.resumeCommand]);
  return rows;
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

/** Where the splits' connections came from, when any split said so. */
function connectionsOf(counts: RunReport['roundTrips']['splitConnections'] | undefined): string {
  if (counts === undefined || counts.new + counts.openedAhead + counts.kept === 0) return '';
  return `; split connections: ${counts.new} new, ${counts.openedAhead} opened while planning, ${counts.kept} kept from an earlier split`;
}
