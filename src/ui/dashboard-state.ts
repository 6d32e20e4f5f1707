import { LatencyHistogram, progressSnapshot, tableProgress, verdictOf, type LatencyQuantiles, type PlannedFiguresJson, type RunMeta, type RunStats, type StreamLatencyCounts, type TableProgress, type TargetWaitsReport, type TimeSplitMs, type Verdict } from '../observe/index.js';

/** Everything the dashboard pages show, as plain JSON: served live, written to the run folder, read back by `c2y ui`. */
export interface DashboardState {
  readonly kind: 'migrate' | 'validate';
  readonly runId: string;
  readonly status: 'running' | 'finished' | 'failed' | 'interrupted';
  /** False when served by `c2y ui` from a finished run's folder. */
  readonly live: boolean;
  readonly source: string;
  readonly target: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly progress: {
    readonly rows: number;
    readonly committed: number;
    readonly estimatedRows: number;
    readonly rowsPerSecond: number;
    readonly etaSeconds: number | null;
    readonly elapsedSeconds: number;
    readonly splitsDone: number;
    readonly splitsRunning: number;
    readonly splitsFailed: number;
    readonly splitsTotal: number;
    readonly retries: number;
    /** Absent in dashboards saved before it was counted. */
    readonly pageRetries?: number;
    /** target.onExisting skip or update: committed rows whose key the target already held. */
    readonly existing?: number;
    readonly rejected: number;
    readonly bytes: number;
    readonly commits: number;
    /** Seconds streams waited in all to keep the run's rate limits. Absent in older saved dashboards. */
    readonly throttledSeconds?: number;
  };
  /** Page-read and commit latencies: bucket counts (LATENCY_BOUNDS_MS, then the open bucket) and quantiles in ms. Absent in older saved dashboards. */
  readonly latency?: {
    readonly pageRead: { readonly counts: readonly number[]; readonly quantiles: LatencyQuantiles };
    readonly commit: { readonly counts: readonly number[]; readonly quantiles: LatencyQuantiles };
  };
  /** What this run's backends on the driver's target node were doing, sampled every second. Absent in older saved dashboards. */
  readonly targetWaits?: TargetWaitsReport | null;
  /** [seconds since start, rows/s]: one point a second. */
  readonly history: ReadonlyArray<readonly [number, number]>;
  readonly executors: ReadonlyArray<{
    readonly executor: number;
    /** Distributed runs: the worker and host of this executor. */
    readonly worker: string | null;
    /** False for one the run ended before it was ready (it ran no split; its figures are zeros). Absent in older saved dashboards. */
    readonly ready?: boolean;
    readonly rss: number;
    readonly peakRss: number;
    readonly heapUsed: number;
    readonly peakHeapUsed: number;
    readonly heapLimit: number;
    readonly gcMs: number;
    readonly cpuMs: number;
    /** Share of one core while it ran (null: too early to say). */
    readonly cpuShare: number | null;
    /** Its streams' time waiting on Cassandra, transcoding, waiting on the target, and what bounds it. */
    readonly timeSplit: TimeSplitMs;
    readonly verdict: Verdict;
    readonly activeTasks: number;
    readonly tasksDone: number;
    readonly tasksFailed: number;
    readonly rows: number;
  }>;
  readonly splits: ReadonlyArray<{
    readonly id: number;
    readonly state: string;
    readonly rows: number;
    readonly attempts: number;
    readonly node: string | null;
    readonly executor: number | null;
    readonly lastError: string | null;
    /** Its current attempt's page-read and commit p50/p99 in ms (null before its first commit). Absent in older saved dashboards. */
    readonly latency?: { readonly pageRead: readonly [number | null, number | null]; readonly commit: readonly [number | null, number | null] } | null;
  }>;
  readonly nodes: ReadonlyArray<{
    readonly node: string;
    readonly streamsOpen: number;
    readonly streamsOpened: number;
    /** c2y connections of this run that the node's own pg_stat_activity lists; null until read (or when unreadable). */
    readonly serverConnections: number | null;
    /** Where the node says the probe landed: inet_server_addr():inet_server_port(). */
    readonly serverAddress: string | null;
  }>;
  readonly planned: PlannedFiguresJson | null;
  /** The effective config with secrets masked. */
  readonly config: unknown;
  /** A keyspace run's tables, largest first (absent for one table). */
  readonly tables?: readonly TableProgress[];
  /** A live migration's apply (migrate --live, after the copy): its lag and what it applied. */
  readonly cdc?: LiveApplyState;
}

/** The run as the CLI attached it, and the target nodes by key. */
/** The live apply as the dashboard and /metrics show it (the same figures as its progress line). */
export interface LiveApplyState {
  readonly lagSeconds: number | null;
  readonly pendingChanges: number;
  readonly appliedChanges: number;
  readonly appliedKeys: number;
  readonly rowsWritten: number;
  readonly unwritable: number;
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly down: string | null; readonly rawBytes: number; readonly rawLimit: number }>;
}

export type DashboardMeta = RunMeta & { readonly endpoints: readonly string[] };

export interface NodeReading {
  readonly serverConnections: number | null;
  readonly serverAddress: string | null;
}

/** Points kept for the rows/s chart; older ones are thinned to every other point. */
const HISTORY_POINTS = 1800;

/** Samples rows/s once a second from the run's stats, for the chart. */
export class RateHistory {
  readonly points: Array<readonly [number, number]> = [];

  sample(stats: RunStats, estimatedRows: number): void {
    const snapshot = progressSnapshot(stats, estimatedRows);
    this.points.push([Math.round(stats.elapsedSeconds()), Math.round(snapshot.rate)]);
    if (this.points.length > HISTORY_POINTS) {
      const thinned = this.points.filter((_, index) => index % 2 === 0);
      this.points.splice(0, this.points.length, ...thinned);
    }
  }
}

function latencyState(stats: RunStats): NonNullable<DashboardState['latency']> {
  const pageRead = stats.latencies.histogram('pageRead');
  const commit = stats.latencies.histogram('commit');
  return { pageRead: { counts: pageRead.counts, quantiles: pageRead.quantiles() }, commit: { counts: commit.counts, quantiles: commit.quantiles() } };
}

function splitLatency(counts: StreamLatencyCounts | undefined): DashboardState['splits'][number]['latency'] {
  if (!counts) return null;
  const pageRead = new LatencyHistogram(counts.pageReadMs).quantiles();
  const commit = new LatencyHistogram(counts.commitMs).quantiles();
  return { pageRead: [pageRead.p50, pageRead.p99], commit: [commit.p50, commit.p99] };
}

export function dashboardState(
  meta: DashboardMeta, stats: RunStats, history: RateHistory, nodes: ReadonlyMap<string, NodeReading>, status: DashboardState['status'],
): DashboardState {
  const snapshot = progressSnapshot(stats, meta.estimatedRows);
  const openPerNode = new Map<string, number>();
  for (const split of stats.splits.values()) {
    if (split.state === 'running' && split.node) openPerNode.set(split.node, (openPerNode.get(split.node) ?? 0) + 1);
  }
  return {
    kind: meta.kind, runId: meta.runId, status, live: true, source: meta.source, target: meta.target,
    startedAt: new Date(stats.startedAt).toISOString(), updatedAt: new Date().toISOString(),
    progress: {
      rows: snapshot.rows, committed: snapshot.committed, estimatedRows: snapshot.estimatedRows, rowsPerSecond: Math.round(snapshot.rate),
      etaSeconds: Number.isFinite(snapshot.etaSeconds) ? Math.round(snapshot.etaSeconds) : null, elapsedSeconds: Math.round(stats.elapsedSeconds()),
      splitsDone: snapshot.splitsDone, splitsRunning: snapshot.splitsRunning, splitsFailed: snapshot.splitsFailed, splitsTotal: snapshot.splitsTotal,
      retries: snapshot.retries, pageRetries: stats.pageRetries, existing: stats.existing, rejected: stats.rejected, bytes: stats.bytesCommitted, commits: stats.commits,
      throttledSeconds: Math.round(stats.throttledMs / 100) / 10,
    },
    latency: latencyState(stats),
    targetWaits: stats.targetWaits.summary(),
    history: [...history.points],
    executors: [...stats.executors].sort(([a], [b]) => a - b).map(([executor, e]) => ({
      executor, worker: e.worker, ready: e.ready, rss: e.rss, peakRss: e.peakRss, heapUsed: e.heapUsed, peakHeapUsed: e.peakHeapUsed, heapLimit: e.heapLimit, gcMs: e.gcMs,
      cpuMs: e.cpuMs, cpuShare: stats.cpuShare(e) ?? null, timeSplit: { ...e.timeSplit }, verdict: verdictOf(e.timeSplit, stats.cpuShare(e)),
      activeTasks: stats.activeTasks(executor), tasksDone: e.tasksDone, tasksFailed: e.tasksFailed, rows: e.rows,
    })),
    splits: [...stats.splits].sort(([a], [b]) => a - b).map(([id, s]) => ({
      id, state: s.state, rows: s.rows + s.inFlight, attempts: s.attempts, node: s.node, executor: s.executor, lastError: s.lastError, latency: splitLatency(s.latency),
    })),
    nodes: meta.endpoints.map((node) => ({
      node, streamsOpen: openPerNode.get(node) ?? 0, streamsOpened: stats.streamsPerNode.get(node) ?? 0,
      serverConnections: nodes.get(node)?.serverConnections ?? null, serverAddress: nodes.get(node)?.serverAddress ?? null,
    })),
    planned: meta.planned, config: meta.config,
    ...(meta.tables ? { tables: tableProgress(stats, meta.tables) } : {}),
  };
}
