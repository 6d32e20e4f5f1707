import { describe, expect, it } from 'vitest';
import { buildReport, renderReport, RunStats, type ReportBase } from '../../src/observe/index.js';

const planned: ReportBase['planned'] = {
  averageRowBytes: 316, decodedRowBytes: 1189, memoryPerTask: { pageRows: 5000, encodeBufferBytes: 655_360, pageBytes: 3_160_000, connectionBytes: 2_097_152, total: 5_912_512 },
  concurrentTasksPerExecutor: 2, safetyFactor: 1.5, requiredExecutorBytes: 17_737_536, youngGenerationBytes: 8_388_608, oldSpaceFloorBytes: 134_217_728,
  executorMemoryBytes: 1_073_741_824, headroom: 15.13, connectionsPerNode: 2, targetRttMs: 0.31, assumedStreamRowsPerSecond: 5000, expectedRowsPerSecond: 10_000,
};

function base(overrides: Partial<ReportBase> = {}): ReportBase & { rowsCommittedTotal: number } {
  return {
    runId: 'r1', status: 'finished', source: 'ks.events', target: 'public.events', targetServer: 'PostgreSQL 15', resumed: false, targetRowsCounted: 400, estimatedRows: 500,
    prepareSeconds: 0.4, finishSeconds: 0.2, splits: { requested: 2, token: 2, effective: 2, reason: 'as requested', done: 1, failed: [] }, concurrency: { executors: 1, cores: 2, concurrentTasks: 2 },
    planned, adaptive: null, rejects: 0, staticOnlyPartitions: 0, ignoredKeys: [], copyFormat: { format: 'binary', reason: 'auto' }, existing: null, catchup: null, resumeCommand: null,
    rowsCommittedTotal: 400, ...overrides,
  };
}

function statsOfOneSplit(): RunStats {
  const stats = new RunStats([0, 1]);
  stats.listener({ type: 'split-started', splitId: 0, attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null, connection: 'openedAhead' });
  stats.listener({ type: 'batch-committed', splitId: 0, rows: 400, bytes: 4000, rejected: 0, staticOnly: 0, referenceCells: 0, sourceWaitMs: 100, transcodeMs: 30, targetWaitMs: 20, roundTrips: 7, lastToken: '5', executor: 0 });
  stats.listener({ type: 'split-finished', splitId: 0, rows: 400, executor: 0 });
  stats.listener({ type: 'executor-memory', executor: 0, rss: 90e6, heapUsed: 30e6, heapTotal: 40e6, heapLimit: 1e9, gcMs: 12, cpuMs: 800, baselineRss: 60e6, baselineHeapUsed: 10e6 });
  stats.targetWaits.add('127.0.0.1:5432', Array.from({ length: 25 }, () => ({ wait: 'Lock:extend', backends: 1 })));
  return stats;
}

const keysOf = (text: string): string[] => text.split('\n').map((line) => (/^(.*?)\s{2,}/.exec(line)?.[1] ?? line).trim());

describe('renderReport', () => {
  it('prints every section in order, one aligned `key  value` line each, with only the conditional lines that apply', () => {
    const text = renderReport(buildReport(base(), statsOfOneSplit()));
    expect(keysOf(text)).toEqual([
      'run', 'source → target', 'target server', 'rows', 'duration', 'throughput', 'splits', 'why effective', 'concurrency', 'server-side nodes',
      'row size', 'memory per task', 'executor need', 'executor 0', 'rows/s', 'streams per node', 'latency', 'time split', 'target waits', 'target advice',
      'read path', 'copy format', 'commits / retries / rejects', 'round trips',
    ]);
    const valueColumn = new Set(text.split('\n').map((line) => /^.*?\s{2,}/.exec(line)?.[0].length));
    expect(valueColumn.size).toBe(1);
    expect(text).toMatch(/rows\s+400 this run, 400 in total \(estimated 500\); target table counted: 400/);
    expect(text).toMatch(/round trips\s+7 to the target: 7 per commit, 7 per split; split connections: 0 new, 1 opened while planning, 0 kept from an earlier split/);
    expect(text).toMatch(/target waits\s+sampled 1 time\(s\) on 127\.0\.0\.1:5432, 25 backend sample\(s\): Lock:extend 100 %/);
  });

  it('adds failures, ignored keys, skipped tables and the resume command at the end of a failed run', () => {
    const failed = base({
      status: 'failed', ignoredKeys: ['spark.foo'], resumeCommand: 'c2y migrate --resume r1', skippedTables: [{ table: 'ks.mv', reason: 'a materialized view' }],
      splits: { requested: 2, token: 2, effective: 2, reason: 'as requested', done: 1, failed: [{ splitId: 1, code: 'COPY_FAILED', message: 'boom', attempts: 3 }] },
    });
    const keys = keysOf(renderReport(buildReport(failed, statsOfOneSplit())));
    expect(keys.slice(-4)).toEqual(['ignored keys', 'split 1 failed', 'skipped ks.mv', 'resume with']);
  });
});

describe('buildReport: the read path', () => {
  it('counts an executor as raw by its event\'s flag, also when the detail names Node\'s socket reads (the framed reads\' self-test failed)', () => {
    const stats = statsOfOneSplit();
    stats.listener({ type: 'read-path', executor: 0, raw: true, detail: 'raw pages, Node\'s socket reads (the framed reads\' self-test failed: frame 2 read back short)' });
    stats.listener({ type: 'read-path', executor: 1, raw: false, detail: 'driver rows: cassandra-driver is 4.7.0' });
    const report = buildReport(base(), stats);
    expect(report.readPath).toMatchObject({ rawExecutors: 1, driverRowsExecutors: 1 });
    expect(renderReport(report)).toMatch(/read path\s+raw pages, Node's socket reads \(the framed reads' self-test failed: frame 2 read back short\); driver rows: cassandra-driver is 4\.7\.0 \(1 executor\(s\) raw, 1 on driver rows\)/);
  });

  it('takes only a true flag from a worker\'s event (it came through Redis)', () => {
    const stats = statsOfOneSplit();
    stats.listener({ type: 'read-path', executor: 0, raw: 'yes', detail: 'raw pages' } as unknown as Parameters<RunStats['listener']>[0]);
    expect(buildReport(base(), stats).readPath).toMatchObject({ rawExecutors: 0, driverRowsExecutors: 1 });
  });
});


describe('buildReport: executors', () => {
  it('lists an executor the run ended before it was ready: it ran nothing, and it does not sway the verdict', () => {
    const stats = statsOfOneSplit();
    stats.listener({ type: 'executor-exited', executor: 0, code: 0, signal: null, expected: true });
    stats.listener({ type: 'executor-exited', executor: 1, code: 0, signal: null, expected: true });
    const report = buildReport(base({ concurrency: { executors: 2, cores: 2, concurrentTasks: 4 } }), stats);
    expect(report.executors.map((e) => [e.executor, e.ready, e.tasksDone])).toEqual([[0, true, 1], [1, false, 0]]);
    // No memory figures came from executor 1: within plan cannot be judged, so it is not claimed.
    expect(report.executors.map((e) => e.withinPlan)).toEqual([true, null]);
    expect(renderReport(report)).toMatch(/executor 1\s+started, but the run ended before it was ready: it ran no split/);
    expect(renderReport(report)).toMatch(/executor 0\s+peak RSS/);
  });
});
