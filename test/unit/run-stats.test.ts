import { describe, expect, it } from 'vitest';
import { resumeCommandFor } from '../../src/cli/migrate-command.js';
import { progressLine, progressSnapshot, RunStats, verdictOf } from '../../src/observe/index.js';

describe('RunStats', () => {
  it('shows streamed rows as progress and drops them when their transaction rolls back', () => {
    const stats = new RunStats([0, 1]);
    stats.listener({ type: 'split-started', splitId: 0, attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    stats.listener({ type: 'rows-streamed', splitId: 0, rows: 700, executor: 0 });
    expect(progressSnapshot(stats, 1000)).toMatchObject({ rows: 700, committed: 0, splitsRunning: 1 });
    stats.listener({ type: 'split-retry', splitId: 0, attempt: 2, delayMs: 10, error: 'boom', node: '127.0.0.1:5433' });
    expect(progressSnapshot(stats, 1000)).toMatchObject({ rows: 0, committed: 0, retries: 1 });
    stats.listener({ type: 'rows-streamed', splitId: 0, rows: 300, executor: 0 });
    stats.listener({ type: 'batch-committed', splitId: 0, rows: 400, bytes: 1, rejected: 0, staticOnly: 0, referenceCells: 0, sourceWaitMs: 100, transcodeMs: 30, targetWaitMs: 20, roundTrips: 7, lastToken: '5', executor: 0 });
    stats.listener({ type: 'split-finished', splitId: 0, rows: 400, executor: 0 });
    const snapshot = progressSnapshot(stats, 1000);
    expect(snapshot).toMatchObject({ rows: 400, committed: 400, splitsDone: 1 });
    expect(progressLine(snapshot)).toContain('400/1,000 rows (400 committed)');
    expect(stats.executors.get(0)).toMatchObject({ rows: 400, tasksDone: 1, tasksFailed: 1, timeSplit: { sourceWaitMs: 100, transcodeMs: 30, targetWaitMs: 20 } });
    expect(stats.timeSplit).toEqual({ sourceWaitMs: 100, transcodeMs: 30, targetWaitMs: 20 });
  });

  it('counts the splits no attempt has begun: started, found done or failed, each leaves the count once', () => {
    const stats = new RunStats([1, 2, 3, 4], [4]);
    expect(stats.splitsNotBegun).toBe(3);
    stats.listener({ type: 'split-started', splitId: 1, attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    // A split whose checkpoint said done finishes without starting.
    stats.listener({ type: 'split-finished', splitId: 2, rows: 0, executor: 0 });
    expect(stats.splitsNotBegun).toBe(1);
    // A retry and a second start of the same split change nothing: it had begun.
    stats.listener({ type: 'split-retry', splitId: 1, attempt: 2, delayMs: 10, error: 'boom', node: 'a:1' });
    stats.listener({ type: 'split-started', splitId: 1, attempt: 2, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    expect(stats.splitsNotBegun).toBe(1);
    // The run stopped while split 3 waited: failed without a start.
    stats.listener({ type: 'split-failed', splitId: 3, error: 'stopped', node: 'a:1', code: 'INTERRUPTED' });
    expect(stats.splitsNotBegun).toBe(0);
    // A split the plan did not list (a worker's event) is counted as it comes, and leaves as it begins.
    stats.listener({ type: 'split-started', splitId: 99, attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    expect(stats.splitsNotBegun).toBe(0);
  });

  it('sums the pages of raw scans that came as the driver\'s rows', () => {
    const stats = new RunStats([0]);
    const committed = { type: 'batch-committed', splitId: 0, rows: 10, bytes: 1, rejected: 0, staticOnly: 0, referenceCells: 0, sourceWaitMs: 1, transcodeMs: 1, targetWaitMs: 1, roundTrips: 1, lastToken: '5', executor: 0 } as const;
    stats.listener({ ...committed, driverPages: 2 });
    stats.listener({ ...committed, driverPages: 1 });
    // An older worker's event carries no count.
    stats.listener(committed);
    expect(stats.driverPages).toBe(3);
  });

  it('counts where the splits\' target connections came from, and no name that is not one of the three', () => {
    const stats = new RunStats([0, 1, 2, 3, 4]);
    const started = { type: 'split-started', attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null } as const;
    stats.listener({ ...started, splitId: 0, connection: 'openedAhead' });
    stats.listener({ ...started, splitId: 1, connection: 'kept' });
    stats.listener({ ...started, splitId: 2, connection: 'new' });
    // An older worker's event names none; anything through Redis may name an object member.
    stats.listener({ ...started, splitId: 3 });
    for (const connection of ['__proto__', 'constructor', 'toString']) {
      stats.listener({ ...started, splitId: 4, connection } as unknown as Parameters<RunStats['listener']>[0]);
    }
    expect(stats.splitConnections).toEqual({ new: 1, openedAhead: 1, kept: 1 });
    expect(Object.getPrototypeOf(stats.splitConnections)).toBe(Object.prototype);
  });

  it('ignores events of a type it does not know, object members included (a newer worker, or anything through Redis)', () => {
    const stats = new RunStats([0]);
    for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'split-paused']) {
      expect(() => stats.listener({ type, splitId: 0, rows: 5, executor: 0 } as unknown as Parameters<RunStats['listener']>[0])).not.toThrow();
    }
    expect(progressSnapshot(stats, 10)).toMatchObject({ rows: 0, committed: 0, splitsDone: 0 });
    expect(stats.executors.size).toBe(0);
  });

  it('counts a failed attempt against its executor and drops its rows in flight, whether retried or failed for good', () => {
    const stats = new RunStats([0, 1]);
    for (const splitId of [0, 1]) {
      stats.listener({ type: 'split-started', splitId, attempt: 1, executor: 3, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
      stats.listener({ type: 'rows-streamed', splitId, rows: 50, executor: 3 });
    }
    stats.listener({ type: 'split-retry', splitId: 0, attempt: 2, delayMs: 10, error: 'reset', node: 'a:1' });
    stats.listener({ type: 'split-failed', splitId: 1, error: 'refused', code: 'COPY_FAILED', node: 'a:1' });
    expect(stats.rowsInFlight).toBe(0);
    expect(stats.splits.get(0)).toMatchObject({ state: 'retrying', lastError: 'reset', inFlight: 0 });
    expect(stats.splits.get(1)).toMatchObject({ state: 'failed', lastError: 'refused', inFlight: 0 });
    expect(stats.executors.get(3)?.tasksFailed).toBe(2);
    expect(stats.lastRetry).toMatchObject({ splitId: 0, attempt: 2, error: 'reset' });
  });

  it('a split failed while it waited for its retry counts failed, but its executor does not count that attempt twice', () => {
    const stats = new RunStats([0]);
    stats.listener({ type: 'split-started', splitId: 0, attempt: 1, executor: 3, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    stats.listener({ type: 'split-retry', splitId: 0, attempt: 2, delayMs: 60_000, error: 'reset', node: 'a:1' });
    stats.listener({ type: 'split-failed', splitId: 0, error: 'reset', code: 'TARGET_WRITE_FAILED', node: 'a:1' });
    expect(stats.splits.get(0)).toMatchObject({ state: 'failed', lastError: 'reset' });
    expect(stats.countSplits('failed')).toBe(1);
    expect(stats.executors.get(3)?.tasksFailed).toBe(1);
  });

  it('tracks peak memory per executor', () => {
    const stats = new RunStats([]);
    for (const rss of [10, 30, 20]) stats.listener({ type: 'executor-memory', executor: 1, rss, heapUsed: rss / 2, heapTotal: rss, heapLimit: 100, gcMs: 0, cpuMs: 0, baselineRss: 5, baselineHeapUsed: 2 });
    expect(stats.executors.get(1)).toMatchObject({ peakRss: 30, peakHeapUsed: 15, rss: 20 });
  });
});

describe('time split verdicts', () => {
  it('names what the streams waited on most, and CPU-bound when the executor is near one busy core', () => {
    expect(verdictOf({ sourceWaitMs: 900, transcodeMs: 50, targetWaitMs: 50 }, 0.3)).toBe('source-bound');
    expect(verdictOf({ sourceWaitMs: 100, transcodeMs: 50, targetWaitMs: 850 }, 0.3)).toBe('target-bound');
    expect(verdictOf({ sourceWaitMs: 100, transcodeMs: 800, targetWaitMs: 100 }, 0.3)).toBe('CPU-bound');
    // Near a full core, the waits include time queued behind the other streams' transcoding.
    expect(verdictOf({ sourceWaitMs: 900, transcodeMs: 50, targetWaitMs: 50 }, 0.95)).toBe('CPU-bound');
    expect(verdictOf({ sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0 }, undefined)).toBe('idle');
  });

  it('an executor\'s CPU share is counted between its first and latest reports', async () => {
    const stats = new RunStats([]);
    const report = (cpuMs: number): void => stats.listener({ type: 'executor-memory', executor: 0, rss: 1, heapUsed: 1, heapTotal: 1, heapLimit: 1, gcMs: 0, cpuMs, baselineRss: 1, baselineHeapUsed: 1 });
    report(5000);
    const executor = stats.executors.get(0)!;
    executor.firstReportAt -= 2000;
    report(6800);
    expect(stats.cpuShare(executor)).toBeCloseTo(0.9, 1);
  });
});

describe('resume command', () => {
  it('repeats the user\'s arguments, drops --restart/--json/old --resume, quotes odd ones', () => {
    expect(resumeCommandFor(['migrate', '--config', 'my file.yaml', '--restart', '--json', '--resume', 'old'], 'R1')).toBe("c2y migrate --config 'my file.yaml' --resume R1");
  });
});
