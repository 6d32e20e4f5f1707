import type { LatencyQuantiles, TargetWaitsReport, Verdict } from '../telemetry/index.js';
import type { StreamLatency } from './stream-latency.js';
import type { ExecutorSession, PageBufferCounts, SplitConnectionKind } from './run-events.js';

/*
 * The run report's shape: what report.json holds and renderReport prints. Built by run-report.ts, rendered by
 * run-report-text.ts; the dashboard and the benches read it.
 */

/** A keyspace run's table as the keyspace report lists it (one per table): its own rows, time, rate, rejects and memory. */
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
  /**
   * Seconds of durationSeconds after the last split ended: the run's end recorded (checkpoints and rejects read back,
   * the target counted, the status set). Over a WAN, mostly round trips; with a large count, the count.
   */
  readonly finishSeconds: number;
  readonly rowsPerSecond: number;
  readonly bytes: number;
  readonly commits: number;
  readonly splits: {
    readonly requested: number;
    readonly token: number;
    readonly effective: number;
    readonly reason: string;
    readonly done: number;
    /** Each failed split's last error, with what to do about it (its hint) when the error says. */
    readonly failed: ReadonlyArray<{ readonly splitId: number; readonly code: string; readonly message: string; readonly hint?: string; readonly attempts: number }>;
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
  /** What this run's backends on the driver's target node were doing, sampled every second; null when never sampled. */
  readonly targetWaits: TargetWaitsReport | null;
  /** source.adaptive: how often the reads were backed off, the lowest cap, and how long a cap held; null when off. */
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
  /**
   * Round trips to the target of the committed work: in all, per commit, per split (set-up included); and where the
   * splits' connections came from: new (connected by the split), opened ahead (while the run was planned), kept
   * (from an earlier split of the executor).
   */
  readonly roundTrips: { readonly total: number; readonly perCommit: number; readonly perSplit: number; readonly splitConnections: Readonly<Record<SplitConnectionKind, number>> };
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
  /** It finished init and ran: false when the run ended before it was ready, so it ran no task and has no figures. */
  readonly ready: boolean;
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
  /** Null for an executor that was never ready: it sent no memory figures, so there is nothing to judge. */
  readonly withinPlan: boolean | null;
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
