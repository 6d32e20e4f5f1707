import { describe, expect, it } from 'vitest';
import { resumeCommandFor } from '../../src/cli/migrate-command.js';
import { progressLine, progressSnapshot, RunStats } from '../../src/observe/index.js';

describe('RunStats', () => {
  it('shows streamed rows as progress and drops them when their transaction rolls back', () => {
    const stats = new RunStats([0, 1]);
    stats.listener({ type: 'split-started', splitId: 0, attempt: 1, executor: 0, node: 'a:1', serverAddress: 'a:1', resumedFrom: null });
    stats.listener({ type: 'rows-streamed', splitId: 0, rows: 700, executor: 0 });
    expect(progressSnapshot(stats, 1000)).toMatchObject({ rows: 700, committed: 0, splitsRunning: 1 });
    stats.listener({ type: 'split-retry', splitId: 0, attempt: 2, delayMs: 10, error: 'boom', node: '127.0.0.1:5433' });
    expect(progressSnapshot(stats, 1000)).toMatchObject({ rows: 0, committed: 0, retries: 1 });
    stats.listener({ type: 'rows-streamed', splitId: 0, rows: 300, executor: 0 });
    stats.listener({ type: 'batch-committed', splitId: 0, rows: 400, bytes: 1, rejected: 0, staticOnly: 0, referenceCells: 0, lastToken: '5', executor: 0 });
    stats.listener({ type: 'split-finished', splitId: 0, rows: 400, executor: 0 });
    const snapshot = progressSnapshot(stats, 1000);
    expect(snapshot).toMatchObject({ rows: 400, committed: 400, splitsDone: 1 });
    expect(progressLine(snapshot)).toContain('400/1,000 rows (400 committed)');
    expect(stats.executors.get(0)).toMatchObject({ rows: 400, tasksDone: 1, tasksFailed: 1 });
  });

  it('tracks peak memory per executor', () => {
    const stats = new RunStats([]);
    for (const rss of [10, 30, 20]) stats.listener({ type: 'executor-memory', executor: 1, rss, heapUsed: rss / 2, heapTotal: rss, heapLimit: 100, gcMs: 0, baselineRss: 5, baselineHeapUsed: 2 });
    expect(stats.executors.get(1)).toMatchObject({ peakRss: 30, peakHeapUsed: 15, rss: 20 });
  });
});

describe('resume command', () => {
  it('repeats the user\'s arguments, drops --restart/--json/old --resume, quotes odd ones', () => {
    expect(resumeCommandFor(['migrate', '--config', 'my file.yaml', '--restart', '--json', '--resume', 'old'], 'R1')).toBe("c2y migrate --config 'my file.yaml' --resume R1");
  });
});
