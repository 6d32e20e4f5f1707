import { describe, expect, it } from 'vitest';
import { fittedProgress, progressSnapshot, RunStats, tableProgress, tablesLine, type TableMeta } from '../../src/observe/index.js';
import type { Split } from '../../src/plan/index.js';
import { runQueue, type PreparedRun } from '../../src/workflow/index.js';

/** A prepared table as runQueue reads it: its run id, its estimate and its splits (the rest is not read). */
function table(runId: string, estimatedRows: number, splitIds: number[], done: number[] = []): PreparedRun {
  const splits = splitIds.map((id): Split => ({ id, start: BigInt(id), end: BigInt(id + 1), ranges: [{ start: BigInt(id), end: BigInt(id + 1), replicas: [] }] }));
  return { runId, plan: { estimatedRows }, allSplits: splits, pendingSplits: splits.filter((s) => !done.includes(s.id)) } as unknown as PreparedRun;
}

describe('a keyspace run\'s queue', () => {
  it('orders the splits of all tables largest first (rows per split), ties in table then split order, each naming its table', () => {
    const big = table('r-t000', 4_000_000, [0, 1, 2, 3]);
    const small = table('r-t001', 10, [1_000_000]);
    const medium = table('r-t002', 3_000_000, [2_000_000, 2_000_001], [2_000_000]);
    const tasks = runQueue([small, big, medium], true);
    expect(tasks.map((t) => [t.id, t.tableRun])).toEqual([
      [2_000_001, 'r-t002'], [0, 'r-t000'], [1, 'r-t000'], [2, 'r-t000'], [3, 'r-t000'], [1_000_000, 'r-t001'],
    ]);
    expect(tasks[0]?.spec).toMatchObject({ kind: 'copy', split: { id: 2_000_001 } });
  });

  it('leaves a one-table run\'s order alone, with tasks that name no table (the executor\'s own)', () => {
    const tasks = runQueue([table('r', 100, [2, 0, 1])], false);
    expect(tasks.map((t) => t.id)).toEqual([2, 0, 1]);
    expect(tasks.every((t) => t.tableRun === undefined)).toBe(true);
  });
});

describe('per-table progress', () => {
  const tables: TableMeta[] = [
    { name: 'events', runId: 'r-t000', splitIds: [0, 1], estimatedRows: 1000, rowsBefore: 100 },
    { name: 'hits', runId: 'r-t001', splitIds: [1_000_000], estimatedRows: 10, rowsBefore: 0 },
    { name: 'empty', runId: 'r-t002', splitIds: [2_000_000], estimatedRows: 0, rowsBefore: 0 },
  ];

  it('adds up each table\'s splits: rows before a resume, committed and in flight, and its state', () => {
    const stats = new RunStats([0, 1, 1_000_000, 2_000_000], [2_000_000]);
    stats.listener({ type: 'split-started', splitId: 0, attempt: 1, executor: 0, node: 'n1', serverAddress: 'a', resumedFrom: null });
    stats.listener({ type: 'rows-streamed', splitId: 0, rows: 50, executor: 0 });
    stats.listener({ type: 'split-started', splitId: 1_000_000, attempt: 1, executor: 0, node: 'n1', serverAddress: 'a', resumedFrom: null });
    stats.listener({ type: 'split-failed', splitId: 1_000_000, error: 'boom', code: 'X', node: 'n1' });
    const progress = tableProgress(stats, tables);
    expect(progress.map((t) => [t.table, t.state, t.rows, t.committed, t.splitsDone, t.splitsRunning, t.splitsFailed, t.splitsTotal])).toEqual([
      ['events', 'running', 150, 100, 0, 1, 0, 2], ['hits', 'failed', 0, 0, 0, 0, 1, 1], ['empty', 'done', 0, 0, 1, 0, 0, 1],
    ]);
    expect(tablesLine(progress)).toBe('tables 1/3 done  events 15%  failed: hits');
    // On a terminal: a line of its own under the bar, cut to the width.
    const frame = fittedProgress(progressSnapshot(stats, 1010), 80, progress).split('\n');
    expect(frame[1]).toBe('  tables 1/3 done  events 15%  failed: hits');
    expect(frame.every((line) => line.length <= 80)).toBe(true);
  });
});
