import type { ExecutorSession, PageBufferCounts, RunEvent } from './run-events.js';

/** What the driver knows of one executor: memory, CPU, rows, tasks and buffers, from its events. */
export interface ExecutorStats {
  /** It finished init (its Cassandra session and read path) and reported; false: known only from its exit. */
  ready: boolean;
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

export function newExecutorStats(): ExecutorStats {
  return {
    ready: false, peakRss: 0, peakHeapUsed: 0, heapLimit: 0, rss: 0, heapUsed: 0, rows: 0, tasksDone: 0, tasksFailed: 0, gcMs: 0, baselineRss: 0, baselineHeapUsed: 0, worker: null, session: null,
    cpuMs: 0, firstReportAt: 0, firstCpuMs: 0, lastReportAt: 0, timeSplit: { sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 }, pageBuffers: { allocated: 0, reused: 0, framed: 0, atOnce: 0 },
    streamBuffersMade: 0, fullCollections: 0,
  };
}

/** An executor's memory report: the latest figures, the first report's baseline and time, and the peaks. */
export function recordExecutorMemory(executor: ExecutorStats, event: Extract<RunEvent, { type: 'executor-memory' }>): void {
  executor.ready = true;
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
  if (counts !== undefined && Number.isSafeInteger(counts.allocated) && Number.isSafeInteger(counts.reused)) executor.pageBuffers = { allocated: counts.allocated, reused: counts.reused, framed: countOr(counts.framed, 0), atOnce: countOr(counts.atOnce, 0) };
  executor.streamBuffersMade = countOr(event.streamBuffersMade, executor.streamBuffersMade);
  executor.fullCollections = countOr(event.fullCollections, executor.fullCollections);
}

/** A count from an executor's event, or `otherwise` where it sent none or something that is not a count. */
function countOr(value: unknown, otherwise: number): number {
  return Number.isSafeInteger(value) ? (value as number) : otherwise;
}
