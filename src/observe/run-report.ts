import { slowestStreams } from './stream-latency.js';
import type { ExecutorStats } from './executor-stats.js';
import type { RunStats } from './run-stats.js';
import type { ExecutorReport, ReportBase, RunReport, TimeSplitReport } from './run-report-types.js';
import { executorsAdvice, verdictAdvice, verdictOf, type TimeSplitMs, type Verdict } from '../telemetry/index.js';

/**
 * The run's report from what the planner said (`base`, with the rows the checkpoints hold) and what the executors
 * told the driver (`stats`): counts, rates, memory against plan, time split, waits and latencies.
 */
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
      splitConnections: { ...stats.splitConnections },
    },
    referenceCells: stats.referenceCells,
  };
}

function executorReports(base: ReportBase, stats: RunStats): ExecutorReport[] {
  return [...stats.executors].sort(([a], [b]) => a - b).map(([executor, e]) => {
    const plannedPeakRssBytes = e.baselineRss + e.baselineHeapUsed + base.planned.youngGenerationBytes + base.planned.oldSpaceFloorBytes + base.planned.requiredExecutorBytes;
    return {
      executor, worker: e.worker, ready: e.ready, peakRssBytes: e.peakRss, peakHeapUsedBytes: e.peakHeapUsed, heapLimitBytes: e.heapLimit, baselineRssBytes: e.baselineRss, baselineHeapUsedBytes: e.baselineHeapUsed,
      plannedPeakRssBytes, withinPlan: e.ready ? e.peakRss <= plannedPeakRssBytes : null, gcMs: e.gcMs, pageBuffers: e.pageBuffers, streamBuffersMade: e.streamBuffersMade, fullCollections: e.fullCollections, rows: e.rows, tasksDone: e.tasksDone, tasksFailed: e.tasksFailed,
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
  // An executor the run ended before it was ready did nothing: it says nothing of what the run was bound by.
  const executors = [...stats.executors.values()].filter((e) => e.ready);
  const cpuBound = executors.filter((e) => verdictOf(e.timeSplit, stats.cpuShare(e)) === 'CPU-bound').length;
  const verdict = executors.length > 0 && cpuBound * 2 > executors.length ? 'CPU-bound' : verdictOf(stats.timeSplit, undefined);
  return timeSplitReport(stats.timeSplit, verdict);
}

function readPathOf(stats: RunStats): RunReport['readPath'] {
  const paths = [...stats.readPaths.values()];
  const raw = paths.filter((path) => path.raw).length;
  return { rawExecutors: raw, driverRowsExecutors: paths.length - raw, details: [...new Set(paths.map((path) => path.detail))], driverPages: stats.driverPages };
}
