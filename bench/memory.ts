/**
 * memory: the planner's memory figures beside what executors really used. A grid of copyBufferSize × cores (one
 * executor, one split per core so each task's buffer fills), planned vs measured peak RSS and heap; then the same
 * settings over 1M and 10M rows, whose peak RSS must stay flat (ratio reported).
 * `npm run bench -- memory [--rows 300000] [--buffers 10000,50000,100000] [--cores 1,2,4] [--flat 1000000,10000000] [--trials 3] [--large-trials 1] [--executor-memory 1g] [--quick]`
 */
import { parseArgs } from 'node:util';
import type { RunReport } from '../src/observe/index.js';
import { ensureBenchCassandra, ensureBenchDatabase, ensureData, endToEnd, sizedKeyspace, type Settings } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';

const MIB = 1024 * 1024;

interface ExecutorFigures {
  readonly peakRssMiB: number;
  readonly plannedPeakRssMiB: number;
  readonly peakHeapMiB: number;
  readonly plannedTaskMiB: number;
  readonly withinPlan: boolean;
}

/** The executor with the highest peak of a run, planned beside measured. */
function executorFigures(report: RunReport): ExecutorFigures {
  const top = [...report.executors].sort((a, b) => b.peakRssBytes - a.peakRssBytes)[0];
  if (!top) throw new Error(`run ${report.runId} reported no executor`);
  return {
    peakRssMiB: Math.round((top.peakRssBytes / MIB) * 10) / 10,
    plannedPeakRssMiB: Math.round((top.plannedPeakRssBytes / MIB) * 10) / 10,
    peakHeapMiB: Math.round((top.peakHeapUsedBytes / MIB) * 10) / 10,
    plannedTaskMiB: Math.round((report.planned.memoryPerTask.total / MIB) * 10) / 10,
    withinPlan: report.executors.every((e) => e.withinPlan !== false),
  };
}

function migrateOnce(rows: number, settings: Settings, copyBufferSize: number, executorMemory: string): RunReport {
  return endToEnd(settings, sizedKeyspace(rows), 'events', '127.0.0.1:5432', ['--copy-buffer-size', String(copyBufferSize), '--executor-memory', executorMemory]).report;
}

export async function memoryBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '300000' }, buffers: { type: 'string', default: '10000,50000,100000' }, cores: { type: 'string', default: '1,2,4' },
    flat: { type: 'string', default: '1000000,10000000' }, trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false },
    // Trials of a flat size of 5M rows or more: minutes each on 2 cores, so 1 unless asked.
    'large-trials': { type: 'string', default: '1' },
    // The config's default; V8 lets the old space grow lazily in proportion to its limit, so the limit is a parameter.
    'executor-memory': { type: 'string', default: '1g' },
  } });
  const executorMemory = values['executor-memory'];
  const rows = values.quick ? 20_000 : Number(values.rows);
  const buffers = (values.quick ? '2000,10000' : values.buffers).split(',').map(Number);
  const coreCounts = (values.quick ? '1,2' : values.cores).split(',').map(Number);
  const flatSizes = (values.quick ? '10000,20000' : values.flat).split(',').map(Number);
  const trials = values.quick ? 1 : Number(values.trials);
  const cassandraNodes = await ensureBenchCassandra();
  for (const size of new Set([rows, ...flatSizes])) await ensureData(size, sizedKeyspace(size), values.quick);
  await ensureBenchDatabase();
  const bytesPerRow = 320;

  const grid: Array<{ copyBufferSize: number; cores: number; trials: ExecutorFigures[]; median: ExecutorFigures }> = [];
  for (const copyBufferSize of buffers) {
    for (const cores of coreCounts) {
      // One split per core, each big enough to fill the buffer's two pages.
      const settings: Settings = { rows, trials, parallelism: cores, executors: 1, cores, splitSizeMb: Math.max(0.01, (rows * bytesPerRow) / MIB / cores) };
      const runs: ExecutorFigures[] = [];
      for (let trial = 0; trial < trials; trial++) runs.push(executorFigures(migrateOnce(rows, settings, copyBufferSize, executorMemory)));
      const mid = (pick: (f: ExecutorFigures) => number): number => median(runs.map(pick));
      const summary = { peakRssMiB: mid((f) => f.peakRssMiB), plannedPeakRssMiB: mid((f) => f.plannedPeakRssMiB), peakHeapMiB: mid((f) => f.peakHeapMiB), plannedTaskMiB: mid((f) => f.plannedTaskMiB), withinPlan: runs.every((f) => f.withinPlan) };
      grid.push({ copyBufferSize, cores, trials: runs, median: summary });
      console.log(`[bench] copyBufferSize ${copyBufferSize}, cores ${cores}: peak RSS ${summary.peakRssMiB} MiB (planned ≤ ${summary.plannedPeakRssMiB}), peak heap ${summary.peakHeapMiB} MiB, ${summary.withinPlan ? 'within plan' : 'ABOVE PLAN'}`);
    }
  }

  // Flat as rows grow: the same settings (2 executors × 4 cores, 16 splits) over each size.
  const flat: Array<{ rows: number; rowsPerSecond: number; peakRssMiB: number; peakHeapMiB: number; plannedPeakRssMiB: number; trials: number; trialPeakRssMiB: number[] }> = [];
  for (const size of flatSizes) {
    const settings: Settings = { rows: size, trials, parallelism: 16, executors: 2, cores: 4, splitSizeMb: Math.max(0.01, (size * bytesPerRow) / MIB / 16) };
    const sizeTrials = size >= 5_000_000 ? Number(values['large-trials']) : trials;
    const runs = Array.from({ length: sizeTrials }, () => migrateOnce(size, settings, 10_000, executorMemory));
    const figures = runs.map(executorFigures);
    flat.push({
      rows: size, rowsPerSecond: Math.round(median(runs.map((r) => r.rowsPerSecond))), peakRssMiB: median(figures.map((f) => f.peakRssMiB)),
      peakHeapMiB: median(figures.map((f) => f.peakHeapMiB)), plannedPeakRssMiB: median(figures.map((f) => f.plannedPeakRssMiB)), trials: sizeTrials,
      trialPeakRssMiB: figures.map((f) => f.peakRssMiB),
    });
    console.log(`[bench] ${size.toLocaleString('en-US')} rows: peak RSS ${flat.at(-1)?.peakRssMiB} MiB at ${flat.at(-1)?.rowsPerSecond} rows/s`);
  }
  const first = flat[0];
  const last = flat.at(-1);
  const file = writeResults('memory', {
    parameters: { rows, buffers, coreCounts, flatSizes, trials, largeTrials: Number(values['large-trials']), executorMemory, cassandraNodes, source: 'bench_scale_<size>.events (RF 1)', target: 'machine PostgreSQL 127.0.0.1:5432' },
    grid, flat,
    flatness: first && last ? { fromRows: first.rows, toRows: last.rows, peakRssRatio: Math.round((last.peakRssMiB / first.peakRssMiB) * 1000) / 1000 } : null,
    allWithinPlan: grid.every((g) => g.median.withinPlan),
  });
  const drawn = await chartResults(file);
  console.log(`[bench] memory → ${file}, ${drawn.svg}`);
}
