/**
 * latency: rows/s against streams with the target behind an injected round trip, beside the same sweep without it.
 * This kernel has no netem, so a userspace forwarder (TcpProxy) delays every chunk by the one-way delay in each
 * direction; its real added round trip and its CPU per MB are measured and reported with the results.
 * `npm run bench -- latency [--rows 200000] [--trials 3] [--streams 1,2,4,8,16,32,64] [--one-way-ms 10] [--quick]`
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { endToEnd, ensureBenchDatabase, ensureData, ensureBenchCassandra } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';

const DATABASE = 'c2y_bench';

async function measuredRttMs(port: number): Promise<number> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: DATABASE });
  await client.connect();
  const samples: number[] = [];
  for (let i = 0; i < 21; i++) {
    const started = process.hrtime.bigint();
    await client.query('SELECT 1');
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await client.end();
  return median(samples.slice(1));
}

function ask<T>(child: ChildProcess, message: unknown): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(message as object);
  });
}

export async function latencyBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '200000' }, trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false },
    streams: { type: 'string', default: '1,2,4,8,16,32,64' }, 'one-way-ms': { type: 'string', default: '10' },
  } });
  const rows = values.quick ? 10_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const streams = (values.quick ? '1,4' : values.streams).split(',').map(Number);
  const oneWayMs = Number(values['one-way-ms']);
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows);
  await ensureBenchDatabase();
  const proxy = fork(fileURLToPath(new URL('./lib/proxy-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
  const { port } = await ask<{ port: number }>(proxy, { targetPort: 5432 });
  // Enough token splits for the widest sweep point: effective partitions = the streams asked for.
  const splitSizeMb = Math.max(0.05, (rows * 320) / 1024 / 1024 / (2 * Math.max(...streams)));
  const sweep: Array<{ oneWayMs: number; rttMs: number; proxyCpuMicrosPerMb: number; points: Array<{ streams: number; rowsPerSecond: number[]; median: number }> }> = [];
  try {
    for (const delay of [0, oneWayMs]) {
      await ask(proxy, { delayMs: delay });
      const rttMs = await measuredRttMs(port);
      const before = await ask<{ bytes: number; cpuMicros: number }>(proxy, 'stats');
      const points = [];
      for (const n of streams) {
        const executors = Math.min(2, n);
        const settings = { rows, trials, parallelism: n, executors, cores: Math.ceil(n / executors), splitSizeMb };
        const rates: number[] = [];
        for (let trial = 0; trial < trials; trial++) {
          const { report } = endToEnd(settings, 'bench_limits', 'events', `127.0.0.1:${port}`);
          if (report.rowsTotal !== rows) throw new Error(`run moved ${report.rowsTotal} of ${rows} rows`);
          rates.push(report.rowsPerSecond);
        }
        points.push({ streams: n, rowsPerSecond: rates, median: median(rates) });
        console.log(`[bench] one-way ${delay} ms (RTT ${rttMs.toFixed(2)} ms), ${n} streams: ${rates.join(', ')} rows/s, median ${median(rates)}`);
      }
      const after = await ask<{ bytes: number; cpuMicros: number }>(proxy, 'stats');
      const megabytes = (after.bytes - before.bytes) / 1024 / 1024;
      sweep.push({ oneWayMs: delay, rttMs, proxyCpuMicrosPerMb: Math.round((after.cpuMicros - before.cpuMicros) / Math.max(megabytes, 1e-9)), points });
    }
  } finally {
    proxy.kill();
  }
  const [base, delayed] = sweep;
  const ratios = (base?.points ?? []).map((point, index) => ({ streams: point.streams, ratio: Math.round(((delayed?.points[index]?.median ?? 0) / point.median) * 1000) / 1000 }));
  const at16 = ratios.find((r) => r.streams === 16);
  const file = writeResults('latency', {
    parameters: { rows, trials, streams, oneWayMs, splitSizeMb, executors: 'min(2, streams)', cores: 'ceil(streams / executors)', target: 'machine PostgreSQL 127.0.0.1:5432 through TcpProxy', source: `bench_limits.events (RF 1) on ${cassandraNodes} Cassandra node(s)` },
    sweep, ratios, bar: { streams: 16, required: 0.9, measured: at16?.ratio ?? null },
  });
  for (const r of ratios) console.log(`[bench] ${r.streams} streams: rate(${2 * oneWayMs} ms RTT) / rate(0 ms) = ${r.ratio}`);
  const drawn = await chartResults(file);
  console.log(`[bench] results: ${file}, chart: ${drawn.svg}, summary: ${drawn.markdown}`);
}
