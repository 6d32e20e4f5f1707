import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createRowEncoder } from '../encode/index.js';
import { splitFromJson } from '../plan/index.js';
import { CheckpointStore, copyStatement, IdleConnections, MergeStage, targetNameOf, targetShapeCheck } from '../sink/index.js';
import type { C2yConfig } from '../config/index.js';
import { consistencyCode, framedPages, keepPageBuffers, openCassandra, pageBufferCounts, rawReadPath, sessionOptionsOf, sourceSelection, type CassandraClient } from '../source/index.js';
import { errorToJson, type DriverMessage, type ExecutorMessage, type TableJob } from './executor-protocol.js';
import type { ExecutorSession, RunEvent } from '../observe/index.js';
import { LatencyHistogram } from '../telemetry/index.js';
import { digestSourceSplit, digestTargetPart, type DigestResult } from './digest-task.js';
import { runSplitTask, type TaskContext } from './split-task.js';
import { TableRawEncoder } from './page-encoders.js';
import { warmTranscoders } from './warm-up.js';
import { EarlyTargetConnections } from './early-targets.js';
import { configuredLimits, type PageAmounts, type ThrottleShares } from './stream-throttle.js';
import { StreamedRowsSender } from './streamed-rows.js';
import { exposedCollector, OldSpaceBound } from './old-space-bound.js';
import { streamBuffers } from './stream-buffers.js';
import { streamsPerExecutor } from './executor-streams.js';

/** How often an executor reports its memory: the dashboard's and the report's peak RSS come from these. */
const MEMORY_REPORT_MS = 500;

const sendNow = (message: ExecutorMessage): void => {
  if (process.connected) process.send?.(message);
};
const streamedRows = new StreamedRowsSender<ExecutorMessage>(sendNow, (event) => ({ type: 'event', event }));
const send = (message: ExecutorMessage): void => {
  streamedRows.send(message, message.type === 'event' && message.event.type === 'rows-streamed' ? message.event : undefined);
};

/** The run's own table's context; a keyspace run's executor holds one per table, by the table's run id. */
let context: TaskContext | undefined;
const contexts = new Map<string, TaskContext>();

/** What every table's tasks in this executor share: the Cassandra session, kept connections, latencies, limits. */
type SharedContext = Omit<TaskContext, 'config' | 'runId' | 'table' | 'selection' | 'encoder' | 'rawEncoder' | 'copyFormat' | 'copySql' | 'stage' | 'targetShape'>;

/** One table's context: its statements and encoder, over the executor's shared session and connections. */
function tableContext(shared: SharedContext, job: TableJob): TaskContext {
  const { config, table } = job;
  // The driver resolved 'auto' against the target's column types; a record without a decision stays on text.
  const copyFormat = config.target.copyFormat === 'binary' ? 'binary' : 'text';
  const target = targetNameOf(config.target, config.source.table);
  const { onExisting } = config.target;
  const stage = onExisting === 'refuse' ? undefined : new MergeStage(table, target, copyFormat, onExisting);
  const shapeCheck = targetShapeCheck(target, table.targetColumns ?? []);
  return {
    ...shared, config, runId: job.runId, table, selection: sourceSelection(config, table),
    encoder: createRowEncoder(table, copyFormat), rawEncoder: new TableRawEncoder(table, copyFormat), copyFormat,
    copySql: stage?.copySql ?? copyStatement(table, target, copyFormat), ...(stage ? { stage } : {}),
    ...(shapeCheck === undefined ? {} : { targetShape: { check: shapeCheck, target } }),
  };
}
/** The run's limits and the streams sharing them: from the config at init, then as the driver says. */
let shares: ThrottleShares = { limits: { sourceRowsPerSecond: undefined, targetRowsPerSecond: undefined, targetBytesPerSecond: undefined }, streams: 1 };
/** A distributed run's pace requests awaiting the worker's answer (the wait from the run's buckets). */
const paceRequests = new Map<number, (waitMs: number) => void>();
let nextPaceRequest = 1;
/** Set for a distributed run: the stream asks its worker, which takes the page from the run's buckets in Redis. */
let sharedTake: ((page: PageAmounts) => Promise<number>) | undefined;

function askPace(page: PageAmounts): Promise<number> {
  const requestId = nextPaceRequest++;
  return new Promise((resolve) => {
    paceRequests.set(requestId, resolve);
    send({ type: 'pace', requestId, page });
  });
}

/** Sends the executor's memory, CPU and latencies so far (set once initialised). */
let reportUsage: (() => void) | undefined;
const cancel = new AbortController();
const running = new Set<Promise<unknown>>();
/** Each task's own abort, beside the executor-wide one. */
const taskAborts = new Map<number, AbortController>();

// Ctrl-C reaches the whole process group; the driver decides, and cancels tasks with CopyFail.
process.on('SIGINT', () => undefined);

// The driver is gone (kill -9 or crash): stop at once; open transactions die with their connections.
process.on('disconnect', () => process.exit(2));

process.on('message', (message: DriverMessage) => {
  void handle(message);
});

// Loaded and listening: a worker that forked this executor ahead of a run knows it may say it serves.
send({ type: 'loaded' });

async function handle(message: DriverMessage): Promise<void> {
  if (message.type === 'warm-up') return answerWarmUp(message.budgetMs);
  if (message.type === 'connect') {
    if (message.target && !initStarted) earlyTargets ??= EarlyTargetConnections.open(message.target);
    return connectEarly(message.source);
  }
  if (message.type === 'init') return initExecutor(message);
  if (message.type === 'cancel') {
    cancel.abort();
    await Promise.allSettled([...running]);
    await context?.connections?.closeAll();
    await context?.cassandra.shutdown().catch(() => undefined);
    streamedRows.flush();
    process.exit(0);
  }
  if (message.type === 'limits') {
    shares = { limits: message.limits, streams: message.streams, ...(sharedTake ? { take: sharedTake } : {}) };
    return;
  }
  if (message.type === 'paced') {
    paceRequests.get(message.requestId)?.(message.waitMs);
    paceRequests.delete(message.requestId);
    return;
  }
  if (message.type === 'cancel-task') {
    taskAborts.get(message.taskId)?.abort();
    return;
  }
  if (message.type === 'task' && context) startTask(context, message);
}

function answerWarmUp(budgetMs: number): void {
  // A warm-up that throws leaves the executor as it was (cold, not broken): said in the worker's log, never fatal.
  try {
    send({ type: 'warmed', ...warmTranscoders(budgetMs) });
  } catch (error) {
    send({ type: 'warmed', rows: 0, cpuMs: 0, referenceCells: 0, skipped: `the warm-up failed: ${errorToJson(error).message}` });
  }
}

/** A session opened before init (connect), by its settings: the run's scans give their own page size. */
let earlySession: { readonly key: string; readonly opening: Promise<CassandraClient> } | undefined;

const sessionKey = (source: C2yConfig['source']): string => JSON.stringify({ ...sessionOptionsOf(source), fetchSize: undefined });

/** Set as init begins: a connect after it would open a session no one takes. */
let initStarted = false;

/** Target connections opened on connect, handed to the kept connections at init. */
let earlyTargets: EarlyTargetConnections | undefined;

function connectEarly(source: C2yConfig['source']): void {
  if (earlySession !== undefined || initStarted) return;
  const opening = openCassandra(sessionOptionsOf(source)).then((client) => {
    // The table's metadata, which a split's key codec reads (several round trips over a WAN), while the run is planned.
    void client.metadata.getTable(source.keyspace, source.table).catch(() => undefined);
    return client;
  });
  // A failure here is met again at init, which opens its own session and reports that attempt's error.
  opening.catch(() => undefined);
  earlySession = { key: sessionKey(source), opening };
}

/** The early session if it was opened with these settings and connected; else a session of its own. */
async function sessionFor(source: C2yConfig['source']): Promise<{ cassandra: CassandraClient; session: ExecutorSession }> {
  const waitStarted = performance.now();
  const waited = (): number => Math.round(performance.now() - waitStarted);
  const early = earlySession;
  earlySession = undefined;
  if (early !== undefined) {
    const cassandra = await early.opening.catch(() => undefined);
    if (cassandra !== undefined && early.key === sessionKey(source)) return { cassandra, session: { openedWhilePlanning: true, initWaitMs: waited() } };
    await cassandra?.shutdown().catch(() => undefined);
  }
  const cassandra = await openCassandra(sessionOptionsOf(source));
  return { cassandra, session: { openedWhilePlanning: false, initWaitMs: waited() } };
}

/** The run's settings: the Cassandra session, the page path, the shared context and the usage reports. */
async function initExecutor(message: Extract<DriverMessage, { type: 'init' }>): Promise<void> {
  initStarted = true;
  try {
    const { config } = message;
    sharedTake = message.sharedPace === true ? askPace : undefined;
    shares = { limits: configuredLimits(config), streams: message.streams, ...(sharedTake ? { take: sharedTake } : {}) };
    const { cassandra, session } = await sessionFor(config.source);
    const executor = message.executor;
    const readPath = config.source.rawPages ? rawReadPath(cassandra) : { decoder: undefined, detail: 'driver rows: source.rawPages is false' };
    // Each task holds a page and its prefetched successor: as many page buffers are kept, and reserved at the first
    // page, for the streams this executor runs (a one-split table: two pages, not 2 × cores).
    keepPageBuffers(2 * Math.max(1, streamsPerExecutor(config.cores, config.executors, message.streams)));
    send({ type: 'event', event: { type: 'read-path', executor, raw: readPath.decoder !== undefined, detail: readPath.detail, session } });
    const shared: SharedContext = {
      cassandra, executor, consistency: consistencyCode(config.source.consistency), rawPages: readPath.decoder,
      store: new CheckpointStore(config.target.checkpointSchema),
      // A kept connection holds a session on its node while another stream may take that node's only slot:
      // under target.maxConnectionsPerNode every split connects anew, so the cap counts every session.
      ...(config.target.maxConnectionsPerNode === undefined ? { connections: new IdleConnections(config.cores) } : {}),
      emit: (event: RunEvent) => send({ type: 'event', event }),
      latency: { pageRead: new LatencyHistogram(), commit: new LatencyHistogram() },
      shares: () => shares,
    };
    earlyTargets?.handTo(config.target, shared.connections);
    earlyTargets = undefined;
    context = tableContext(shared, message);
    contexts.set(message.runId, context);
    for (const job of message.tables ?? []) contexts.set(job.runId, tableContext(shared, job));
    const heapLimit = getHeapStatistics().heap_size_limit;
    const { rss: baselineRss, heapUsed: baselineHeapUsed } = process.memoryUsage();
    let gcMs = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    }).observe({ entryTypes: ['gc'] });
    const oldSpace = new OldSpaceBound(exposedCollector());
    const reportMemory = (): void => {
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      sendLatency();
      send({ type: 'event', event: { type: 'executor-memory', executor, rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, heapLimit, gcMs: Math.round(gcMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000), baselineRss, baselineHeapUsed, pageBuffers: { ...pageBufferCounts(), framed: framedPages() }, streamBuffersMade: streamBuffers.madeCount, fullCollections: oldSpace.collected } });
    };
    reportUsage = reportMemory;
    reportMemory();
    setInterval(() => {
      oldSpace.check();
      reportMemory();
    }, MEMORY_REPORT_MS).unref();
    send({ type: 'ready' });
  } catch (error) {
    send({ type: 'fatal', error: errorToJson(error) });
    process.exit(1);
  }
}

function startTask(context: TaskContext, message: Extract<DriverMessage, { type: 'task' }>): void {
  const taskContext = message.task.tableRun === undefined ? context : contexts.get(message.task.tableRun);
  if (!taskContext) {
    send({ type: 'task-failed', taskId: message.taskId, error: { code: 'UNEXPECTED', message: `task ${message.task.id} names table run ${message.task.tableRun ?? ''}, which this executor was not given`, retryable: false } });
    return;
  }
  const own = new AbortController();
  taskAborts.set(message.taskId, own);
  const task = runTask(taskContext, message, AbortSignal.any([cancel.signal, own.signal]))
    .then((done) => {
      // Usage and latencies up to this task's end, ahead of its result: the report's CPU and counts then include
      // every commit (a periodic report alone could miss the last half second of the run).
      reportUsage?.();
      send({ type: 'task-done', taskId: message.taskId, ...done });
    })
    .catch((error: unknown) => send({ type: 'task-failed', taskId: message.taskId, error: errorToJson(error) }));
  running.add(task);
  void task.finally(() => {
    running.delete(task);
    taskAborts.delete(message.taskId);
  });
}

function sendLatency(): void {
  if (context) send({ type: 'event', event: { type: 'latency', executor: context.executor, pageReadMs: context.latency.pageRead.counts, commitMs: context.latency.commit.counts } });
}

async function runTask(context: TaskContext, message: Extract<DriverMessage, { type: 'task' }>, signal: AbortSignal): Promise<{ rows: number; digest?: DigestResult }> {
  const { spec, id } = message.task;
  if (spec.kind === 'copy') {
    return { rows: await runSplitTask(context, { split: splitFromJson(spec.split), attempt: message.attempt, endpoint: message.endpoint, signal }) };
  }
  const request = { taskId: id, buckets: spec.buckets, collect: spec.collect, signal };
  const digest = spec.kind === 'digest-source'
    ? await digestSourceSplit(context, splitFromJson(spec.split), request)
    : await digestTargetPart(context, message.endpoint, spec.target, spec.part, request);
  return { rows: digest.rows, digest };
}
