import { TargetWaitTally, type TimeSplitMs } from '../telemetry/index.js';
import { newExecutorStats, recordExecutorMemory, type ExecutorStats } from './executor-stats.js';
import type { RunEvent, SplitConnectionKind, StreamLatencyCounts } from './run-events.js';
import { RunLatencies } from './run-latencies.js';

export type SplitState = 'pending' | 'running' | 'done' | 'failed' | 'retrying';

export interface SplitStats {
  state: SplitState;
  rows: number;
  attempts: number;
  node: string | null;
  serverAddress: string | null;
  executor: number | null;
  lastError: string | null;
  /** Rows sent in the open transaction: shown as progress, dropped if the transaction rolls back. */
  inFlight: number;
  /** Its current attempt's page-read and commit latencies (from its last commit); undefined before one. */
  latency?: StreamLatencyCounts;
}

/** Folds run events into the figures that progress, report and dashboard show. A listener, not part of the pipeline. */
export class RunStats {
  readonly startedAt = Date.now();
  rowsCommitted = 0;
  /** Rows streamed but not yet committed, over all splits. */
  rowsInFlight = 0;
  bytesCommitted = 0;
  commits = 0;
  retries = 0;
  /** Page reads asked again within their split (a timeout, an overloaded or unreachable replica). */
  pageRetries = 0;
  /** Time streams waited to keep the run's rate limits, summed over streams. */
  throttledMs = 0;
  /** Page-read and commit latencies over every executor. */
  readonly latencies = new RunLatencies();
  rejected = 0;
  /** target.onExisting skip or update: committed rows whose key the target already held. */
  existing = 0;
  /** A catch-up: rows read whose newest write time is before its cut-off (not written). */
  older = 0;
  /** Partitions with only static cells, recorded in the rejects whatever onError says (not counted against maxErrors). */
  staticOnly = 0;
  /** Cells of raw pages written by the reference path (driver decode + encoder): a type with no transcoder yet. */
  referenceCells = 0;
  /** Pages of raw scans that arrived as the driver's rows (decoded by the driver, encoded by the reference). */
  driverPages = 0;
  /** Round trips to the target by committed work (set-up of splits included). */
  roundTrips = 0;
  /** Where the splits' target connections came from, counted as each split starts. */
  readonly splitConnections: Record<SplitConnectionKind, number> = { new: 0, openedAhead: 0, kept: 0 };
  /** How each executor reads pages: raw or on the driver's rows, and the detail ('raw pages' or 'driver rows: why'). */
  readonly readPaths = new Map<number, { readonly raw: boolean; readonly detail: string }>();
  /** All streams' time waiting on Cassandra, transcoding, and waiting on the target. */
  readonly timeSplit = { sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 };
  /** What this run's backends on the driver's target node were doing, sampled every second (workflow/target-waits-watch.ts). */
  readonly targetWaits = new TargetWaitTally();
  /** The latest retry, for the progress line: what is happening when rows stop moving. */
  lastRetry: { splitId: number; node: string; attempt: number; error: string; at: number } | null = null;
  /** Rows already committed by earlier attempts of a resumed run. */
  rowsBefore = 0;
  readonly splits = new Map<number, SplitStats>();
  /** Splits no attempt has begun (started, or found done) yet: kept as a count, since it is asked at every event. */
  private pending = 0;
  readonly executors = new Map<number, ExecutorStats>();
  /** Streams opened per configured target node (endpoint key). */
  readonly streamsPerNode = new Map<string, number>();
  /** Streams per node as the server reported it (inet_server_addr()). */
  readonly streamsPerServerAddress = new Map<string, number>();
  readonly rateSamples: Array<{ t: number; rows: number }> = [];

  constructor(splitIds: readonly number[], doneSplits: readonly number[] = []) {
    for (const id of splitIds) this.splits.set(id, { state: doneSplits.includes(id) ? 'done' : 'pending', rows: 0, attempts: 0, node: null, serverAddress: null, executor: null, lastError: null, inFlight: 0 });
    this.pending = this.countSplits('pending');
  }

  private executor(index: number): ExecutorStats {
    let stats = this.executors.get(index);
    if (!stats) {
      stats = newExecutorStats();
      this.executors.set(index, stats);
    }
    return stats;
  }

  private split(id: number): SplitStats {
    let stats = this.splits.get(id);
    if (!stats) {
      stats = { state: 'pending', rows: 0, attempts: 0, node: null, serverAddress: null, executor: null, lastError: null, inFlight: 0 };
      this.splits.set(id, stats);
      this.pending++;
    }
    return stats;
  }

  /**
   * One handler per event type: the compiler holds the table complete. An event of a type not in it (a newer worker's,
   * or a type named like an object member, through Redis) is ignored.
   */
  private readonly handlers: { readonly [K in RunEvent['type']]: (event: Extract<RunEvent, { type: K }>) => void } = {
    'split-started': (event) => this.splitStarted(event),
    'rows-streamed': (event) => this.rowsStreamed(event),
    'batch-committed': (event) => this.batchCommitted(event),
    'read-path': (event) => {
      // A worker's event comes through Redis: only a true `raw` counts its executor as reading raw pages.
      this.readPaths.set(event.executor, { raw: event.raw === true, detail: String(event.detail) });
      const executor = this.executor(event.executor);
      executor.ready = true;
      executor.session = event.session ?? null;
    },
    'rows-compared': (event) => {
      this.rowsCommitted += event.rows;
      this.split(event.splitId).rows += event.rows;
      this.executor(event.executor).rows += event.rows;
    },
    'split-finished': (event) => {
      this.leave(this.split(event.splitId), 'done');
      this.executor(event.executor).tasksDone++;
    },
    latency: (event) => this.latencies.update(event),
    'page-retry': () => this.pageRetries++,
    'split-retry': (event) => {
      this.retries++;
      this.lastRetry = { splitId: event.splitId, node: event.node, attempt: event.attempt, error: event.error, at: Date.now() };
      this.splitEnded(event.splitId, 'retrying', event.error);
    },
    'split-failed': (event) => this.splitEnded(event.splitId, 'failed', event.error),
    'executor-memory': (event) => recordExecutorMemory(this.executor(event.executor), event),
    'executor-started': (event) => {
      this.executor(event.executor).worker = `${event.worker} on ${event.host}`;
    },
    // Every executor the run forked is in the report, also one the run ended before it was ready (it ran no task).
    'executor-exited': (event) => void this.executor(event.executor),
  };

  readonly listener = (event: RunEvent): void => {
    if (!Object.hasOwn(this.handlers, event.type)) return;
    (this.handlers[event.type] as (event: RunEvent) => void)(event);
  };

  private rowsStreamed(event: Extract<RunEvent, { type: 'rows-streamed' }>): void {
    this.split(event.splitId).inFlight += event.rows;
    this.rowsInFlight += event.rows;
  }

  /**
   * A split attempt that failed: its uncommitted rows leave the progress, and its executor counts a failed task. A
   * split failed while it was not running (the run stopped as it waited for a retry or an executor) is counted
   * failed, but no executor's task failed again: its last attempt's failure was counted when it came.
   */
  private splitEnded(splitId: number, state: 'retrying' | 'failed', error: string): void {
    const split = this.split(splitId);
    const wasRunning = split.state === 'running';
    this.dropInFlight(splitId);
    this.leave(split, state);
    split.lastError = error;
    if (wasRunning && split.executor !== null) this.executor(split.executor).tasksFailed++;
  }

  private splitStarted(event: Extract<RunEvent, { type: 'split-started' }>): void {
    const split = this.split(event.splitId);
    this.leave(split, 'running');
    split.attempts = event.attempt;
    split.node = event.node;
    split.serverAddress = event.serverAddress;
    split.executor = event.executor;
    // Counted by name only if it is one of the three: an event from a worker is not trusted to name a member.
    if (event.connection !== undefined && Object.hasOwn(this.splitConnections, event.connection)) this.splitConnections[event.connection]++;
    this.executor(event.executor);
    this.streamsPerNode.set(event.node, (this.streamsPerNode.get(event.node) ?? 0) + 1);
    this.streamsPerServerAddress.set(event.serverAddress, (this.streamsPerServerAddress.get(event.serverAddress) ?? 0) + 1);
  }

  private batchCommitted(event: Extract<RunEvent, { type: 'batch-committed' }>): void {
    this.dropInFlight(event.splitId);
    this.rowsCommitted += event.rows;
    this.rejected += event.rejected;
    this.staticOnly += event.staticOnly;
    this.existing += event.existing ?? 0;
    this.older += event.older ?? 0;
    this.referenceCells += event.referenceCells;
    this.driverPages += event.driverPages ?? 0;
    this.roundTrips += event.roundTrips;
    this.throttledMs += event.throttledMs ?? 0;
    this.addTimeSplit(this.executor(event.executor).timeSplit, event);
    this.addTimeSplit(this.timeSplit, event);
    this.bytesCommitted += event.bytes;
    this.commits++;
    this.split(event.splitId).rows += event.rows;
    if (event.streamLatency) this.split(event.splitId).latency = event.streamLatency;
    this.executor(event.executor).rows += event.rows;
  }

  private addTimeSplit(into: { sourceWaitMs: number; transcodeMs: number; targetWaitMs: number }, event: TimeSplitMs): void {
    into.sourceWaitMs += event.sourceWaitMs;
    into.transcodeMs += event.transcodeMs;
    into.targetWaitMs += event.targetWaitMs;
  }

  /** An executor's CPU over its wall time, as a share of one core (its streams share one JS thread). */
  cpuShare(executor: ExecutorStats): number | undefined {
    const wallMs = executor.lastReportAt - executor.firstReportAt;
    return wallMs < 1000 ? undefined : (executor.cpuMs - executor.firstCpuMs) / wallMs;
  }

  private dropInFlight(splitId: number): void {
    const split = this.split(splitId);
    this.rowsInFlight -= split.inFlight;
    split.inFlight = 0;
  }

  /** Splits an executor is running now. */
  activeTasks(executor: number): number {
    let count = 0;
    for (const split of this.splits.values()) if (split.state === 'running' && split.executor === executor) count++;
    return count;
  }

  private leave(split: SplitStats, state: SplitState): void {
    if (split.state === 'pending' && state !== 'pending') this.pending--;
    split.state = state;
  }

  /** Splits no attempt has begun yet: none means the run's last splits are under way. */
  get splitsNotBegun(): number {
    return this.pending;
  }

  countSplits(state: SplitState): number {
    let count = 0;
    for (const split of this.splits.values()) if (split.state === state) count++;
    return count;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Rows per second over the last `windowMs` (the true current rate, not the run average); a catch-up's older rows count as done. */
  currentRate(windowMs = 5000): number {
    const now = Date.now();
    const rows = this.rowsCommitted + this.rowsInFlight + this.older;
    this.rateSamples.push({ t: now, rows });
    while (this.rateSamples.length > 2 && (this.rateSamples[0] as { t: number }).t < now - windowMs) this.rateSamples.shift();
    const first = this.rateSamples[0] as { t: number; rows: number };
    const seconds = (now - first.t) / 1000;
    return seconds > 0.5 ? Math.max(0, rows - first.rows) / seconds : rows / Math.max(this.elapsedSeconds(), 0.001);
  }
}
