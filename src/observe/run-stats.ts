import { TargetWaitTally, type TimeSplitMs } from '../telemetry/index.js';
import type { ExecutorSession, PageBufferCounts, RunEvent, StreamLatencyCounts } from './run-events.js';
import { RunLatencies } from './run-latencies.js';

export type SplitState = 'pending' | 'running' | 'done' | 'failed' | 'retrying';

export interface ExecutorStats {
  peakRss: number;
  peakHeapUsed: number;
  heapLimit: number;
  rss: number;
  heapUsed: number;
  rows: number;
  tasksDone: number;
  tasksFailed: number;
  /** Time spent in garbage collection so far (perf_hooks). */
  gcMs: number;
  /** RSS of the executor once started, before any task: Node, the driver and the Cassandra session. */
  baselineRss: number;
  /** Heap in use at that moment: V8 lets old space grow to about twice its live set before collecting it. */
  baselineHeapUsed: number;
  /** The `c2y worker` this executor belongs to (distributed runs), e.g. "host-a/1234". */
  worker: string | null;
  /** How its Cassandra session came (null: not said, e.g. an older executor). */
  session: ExecutorSession | null;
  /** CPU time of the executor process so far (user + system). */
  cpuMs: number;
  /** The first and latest memory reports (time, CPU): the executor's CPU share is counted between them. */
  firstReportAt: number;
  firstCpuMs: number;
  lastReportAt: number;
  /** Its streams' time waiting on Cassandra, transcoding, and waiting on the target (summed over streams). */
  timeSplit: { sourceWaitMs: number; transcodeMs: number; targetWaitMs: number };
  /** Its page frame buffers so far (an executor that does not say: none). */
  pageBuffers: PageBufferCounts;
  /** Sets of split-stream buffers it made (one per stream open at once, not per split), and its old-space bound's full collections. */
  streamBuffersMade: number;
  fullCollections: number;
}

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
  /** How each executor reads pages ('raw pages' or 'driver rows: why'). */
  readonly readPaths = new Map<number, string>();
  /** All streams' time waiting on Cassandra, transcoding, and waiting on the target. */
  readonly timeSplit = { sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 };
  /** What this run's backends on the driver's target node were doing, sampled every second (workflow/target-waits-watch.ts). */
  readonly targetWaits = new TargetWaitTally();
  /** The latest retry, for the progress line: what is happening when rows stop moving. */
  lastRetry: { splitId: number; node: string; attempt: number; error: string; at: number } | null = null;
  /** Rows already committed by earlier attempts of a resumed run. */
  rowsBefore = 0;
  readonly splits = new Map<number, SplitStats>();
  readonly executors = new Map<number, ExecutorStats>();
  /** Streams opened per configured target node (endpoint key). */
  readonly streamsPerNode = new Map<string, number>();
  /** Streams per node as the server reported it (inet_server_addr()). */
  readonly streamsPerServerAddress = new Map<string, number>();
  readonly rateSamples: Array<{ t: number; rows: number }> = [];

  constructor(splitIds: readonly number[], doneSplits: readonly number[] = []) {
    for (const id of splitIds) this.splits.set(id, { state: doneSplits.includes(id) ? 'done' : 'pending', rows: 0, attempts: 0, node: null, serverAddress: null, executor: null, lastError: null, inFlight: 0 });
  }

  private executor(index: number): ExecutorStats {
    let stats = this.executors.get(index);
    if (!stats) {
      stats = {
        peakRss: 0, peakHeapUsed: 0, heapLimit: 0, rss: 0, heapUsed: 0, rows: 0, tasksDone: 0, tasksFailed: 0, gcMs: 0, baselineRss: 0, baselineHeapUsed: 0, worker: null, session: null,
        cpuMs: 0, firstReportAt: 0, firstCpuMs: 0, lastReportAt: 0, timeSplit: { sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 }, pageBuffers: { allocated: 0, reused: 0, framed: 0 },
        streamBuffersMade: 0, fullCollections: 0,
      };
      this.executors.set(index, stats);
    }
    return stats;
  }

  private split(id: number): SplitStats {
    let stats = this.splits.get(id);
    if (!stats) {
      stats = { state: 'pending', rows: 0, attempts: 0, node: null, serverAddress: null, executor: null, lastError: null, inFlight: 0 };
      this.splits.set(id, stats);
    }
    return stats;
  }

  readonly listener = (event: RunEvent): void => {
    switch (event.type) {
      case 'split-started':
        this.splitStarted(event);
        break;
      case 'rows-streamed': {
        const split = this.split(event.splitId);
        split.inFlight += event.rows;
        this.rowsInFlight += event.rows;
        break;
      }
      case 'batch-committed':
        this.batchCommitted(event);
        break;
      case 'read-path':
        this.readPaths.set(event.executor, event.detail);
        this.executor(event.executor).session = event.session ?? null;
        break;
      case 'rows-compared':
        this.rowsCommitted += event.rows;
        this.split(event.splitId).rows += event.rows;
        this.executor(event.executor).rows += event.rows;
        break;
      case 'split-finished': {
        this.split(event.splitId).state = 'done';
        this.executor(event.executor).tasksDone++;
        break;
      }
      case 'latency':
        this.latencies.update(event);
        break;
      case 'page-retry':
        this.pageRetries++;
        break;
      case 'split-retry': {
        this.retries++;
        this.lastRetry = { splitId: event.splitId, node: event.node, attempt: event.attempt, error: event.error, at: Date.now() };
        const split = this.split(event.splitId);
        this.dropInFlight(event.splitId);
        split.state = 'retrying';
        split.lastError = event.error;
        if (split.executor !== null) this.executor(split.executor).tasksFailed++;
        break;
      }
      case 'split-failed': {
        const split = this.split(event.splitId);
        this.dropInFlight(event.splitId);
        split.state = 'failed';
        split.lastError = event.error;
        if (split.executor !== null) this.executor(split.executor).tasksFailed++;
        break;
      }
      case 'executor-memory':
        this.executorMemory(event);
        break;
      case 'executor-started':
        this.executor(event.executor).worker = `${event.worker} on ${event.host}`;
        break;
      case 'executor-exited':
        break;
    }
  };

  private splitStarted(event: Extract<RunEvent, { type: 'split-started' }>): void {
    const split = this.split(event.splitId);
    split.state = 'running';
    split.attempts = event.attempt;
    split.node = event.node;
    split.serverAddress = event.serverAddress;
    split.executor = event.executor;
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

  private executorMemory(event: Extract<RunEvent, { type: 'executor-memory' }>): void {
    const executor = this.executor(event.executor);
    executor.rss = event.rss;
    executor.heapUsed = event.heapUsed;
    executor.heapLimit = event.heapLimit;
    executor.gcMs = event.gcMs;
    executor.cpuMs = event.cpuMs;
    executor.lastReportAt = Date.now();
    if (executor.firstReportAt === 0) {
      executor.firstReportAt = executor.lastReportAt;
      executor.firstCpuMs = event.cpuMs;
    }
    if (executor.baselineRss === 0) {
      executor.baselineRss = event.baselineRss;
      executor.baselineHeapUsed = event.baselineHeapUsed;
    }
    executor.peakRss = Math.max(executor.peakRss, event.rss);
    executor.peakHeapUsed = Math.max(executor.peakHeapUsed, event.heapUsed);
    // A worker's events come through Redis: counts that are not counts are not shown.
    const counts = event.pageBuffers;
    if (counts !== undefined && Number.isSafeInteger(counts.allocated) && Number.isSafeInteger(counts.reused)) executor.pageBuffers = { allocated: counts.allocated, reused: counts.reused, framed: countOr(counts.framed, 0) };
    executor.streamBuffersMade = countOr(event.streamBuffersMade, executor.streamBuffersMade);
    executor.fullCollections = countOr(event.fullCollections, executor.fullCollections);
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

/** A count from an executor's event, or `otherwise` where it sent none or something that is not a count. */
function countOr(value: unknown, otherwise: number): number {
  return Number.isSafeInteger(value) ? (value as number) : otherwise;
}
