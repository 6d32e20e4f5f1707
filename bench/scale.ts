/**
 * scale: the same settings over 100K → 1M → 10M rows: rows/s, seconds per million rows and peak RSS per step; the
 * cost must grow linearly or better (seconds per million rows flat or falling, peak RSS flat).
 * `npm run bench -- scale [--steps 100000,1000000,10000000] [--trials 3] [--big-trials 1] [--quick]`
 */
import { parseArgs } from 'node:util';
import { ensureBenchCassandra, ensureBenchDatabase, ensureData, endToEnd, sizedKeyspace, type Settings } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';

const MIB = 1024 * 1024;

export async function scaleBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    steps: { type: 'string', default: '100000,1000000,10000000' }, trials: { type: 'string', default: '3' },
    'big-trials': { type: 'string', default: '1' }, quick: { type: 'boolean', default: false },
  } });
  const steps = (values.quick ? '5000,20000' : values.steps).split(',').map(Number);
  const trials = values.quick ? 1 : Number(values.trials);
  // 10M rows take minutes per run on 2 cores: steps of 5M rows or more run --big-trials times.
  const bigTrials = Number(values['big-trials']);
  const cassandraNodes = await ensureBenchCassandra();
  for (const rows of steps) await ensureData(rows, sizedKeyspace(rows), values.quick);
  await ensureBenchDatabase();
  const results: Array<{ rows: number; trials: Array<{ rowsPerSecond: number; seconds: number; peakRssMiB: number; cpuSeconds: number }>; rowsPerSecond: number; secondsPerMillion: number; peakRssMiB: number; cpuMicrosPerRow: number }> = [];
  for (const rows of steps) {
    const settings: Settings = { rows, trials, parallelism: 16, executors: 2, cores: 4, splitSizeMb: Math.max(0.01, (rows * 320) / MIB / 16) };
    const runs = [];
    for (let trial = 0; trial < (rows >= 5_000_000 ? bigTrials : trials); trial++) {
      const { report, cpuSeconds } = endToEnd(settings, sizedKeyspace(rows));
      if (report.rowsTotal !== rows) throw new Error(`scale: ${report.rowsTotal} rows arrived of ${rows}`);
      runs.push({ rowsPerSecond: report.rowsPerSecond, seconds: report.durationSeconds, peakRssMiB: Math.round((Math.max(...report.executors.map((e) => e.peakRssBytes)) / MIB) * 10) / 10, cpuSeconds });
      console.log(`[bench] ${rows.toLocaleString('en-US')} rows: ${report.rowsPerSecond} rows/s, peak RSS ${runs.at(-1)?.peakRssMiB} MiB`);
    }
    const seconds = median(runs.map((r) => r.seconds));
    results.push({
      rows, trials: runs, rowsPerSecond: Math.round(median(runs.map((r) => r.rowsPerSecond))), secondsPerMillion: Math.round((seconds / rows) * 1e6 * 100) / 100,
      peakRssMiB: median(runs.map((r) => r.peakRssMiB)), cpuMicrosPerRow: Math.round((median(runs.map((r) => r.cpuSeconds)) / rows) * 1e6 * 10) / 10,
    });
  }
  const first = results[0];
  const last = results.at(-1);
  const file = writeResults('scale', {
    parameters: { steps, trials, bigTrials, parallelism: 16, executors: 2, cores: 4, cassandraNodes, source: 'bench_scale_<size>.events (RF 1)', target: 'machine PostgreSQL 127.0.0.1:5432' },
    results,
    growth: first && last ? {
      rowsFactor: last.rows / first.rows,
      secondsPerMillionRatio: Math.round((last.secondsPerMillion / first.secondsPerMillion) * 100) / 100,
      peakRssRatio: Math.round((last.peakRssMiB / first.peakRssMiB) * 1000) / 1000,
    } : null,
  });
  const drawn = await chartResults(file);
  console.log(`[bench] scale → ${file}, ${drawn.svg}`);
}
