/**
 * latency: rows/s against streams with the target, the source, and both behind an injected round trip, beside the
 * same sweep without it. Issue 19's bar: at 100 ms RTT (50 ms each way) and 64 streams, ≥ 0.9 of the 0 ms rate.
 * This kernel has no netem, so a userspace forwarder (TcpProxy) delays every chunk by the one-way delay in each
 * direction; its real added round trip and its CPU per MB are measured and reported with the results.
 * `npm run bench -- latency [--rows 1000000] [--trials 3] [--streams 16,32,64] [--one-way-ms 50] [--sides target,source,both] [--quick]`
 * Last line: `latency: rtt_ms=<r> target_64=<a> source_64=<b> both_64=<c>` (rate / rate(0 ms) at the most streams).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openCassandra } from '../src/source/index.js';
import { endToEnd, ensureBenchDatabase, ensureData, ensureBenchCassandra, warmCassandra } from './limits.js';
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

type Side = 'target' | 'source' | 'both';

const BAR = { required: 0.9 } as const;
interface SweepRun { oneWayMs: number; rttMs: number; proxyCpuMicrosPerMb: number; points: Array<{ streams: number; rowsPerSecond: number[]; median: number }> }

async function measuredCassandraRttMs(addressMap: Record<string, string>): Promise<number> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 100, addressMap });
  const samples: number[] = [];
  try {
    for (let i = 0; i < 21; i++) {
      const started = process.hrtime.bigint();
      await client.execute('SELECT release_version FROM system.local', [], { prepare: true });
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    await client.shutdown();
  }
  return median(samples.slice(1));
}

export async function latencyBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    // 1M rows: the limits bench's table, and splits long enough that a stream's set-up is not the whole of its work.
    rows: { type: 'string', default: '1000000' }, trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false },
    streams: { type: 'string', default: '16,32,64' }, 'one-way-ms': { type: 'string', default: '50' }, sides: { type: 'string', default: 'target,source,both' },
  } });
  const rows = values.quick ? 10_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  // --quick (the suite's) sweeps one stream count: the test checks the fixed last line, not the curve.
  const streams = (values.quick ? '4' : values.streams).split(',').map(Number);
  const oneWayMs = Number(values['one-way-ms']);
  // --quick (the suite's) skips the source-only side: the both side covers its path.
  const sides = (values.quick ? 'target,both' : values.sides).split(',').map((side) => side.trim()) as Side[];
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows, undefined, values.quick);
  await ensureBenchDatabase();
  // The 0 ms runs come first: on a Cassandra still compiling its read path they alone would pay for it.
  const warmUp = values.quick ? [] : await warmCassandra();
  // Enough token splits for the widest sweep point: effective partitions = the streams asked for.
  const splitSizeMb = Math.max(0.05, (rows * 320) / 1024 / 1024 / (2 * Math.max(...streams)));
  const results: Array<{ side: Side; sweep: SweepRun[]; ratios: Array<{ streams: number; ratio: number }> }> = [];
  for (const side of sides) {
    // The target first, then one proxy per Cassandra node, which c2y dials through source.addressMap (nodes keep their names).
    const nodes = Array.from({ length: cassandraNodes }, (_, i) => `127.0.0.${i + 1}`);
    const delaysTarget = side !== 'source';
    const delaysSource = side !== 'target';
    const targets = [...(delaysTarget ? [{ host: '127.0.0.1', port: 5432 }] : []), ...(delaysSource ? nodes.map((host) => ({ host, port: 9042 })) : [])];
    const proxy = fork(fileURLToPath(new URL('./lib/proxy-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
    const { ports } = await ask<{ ports: number[] }>(proxy, { targets });
    const sourcePorts = delaysTarget ? ports.slice(1) : ports;
    const addressMap = Object.fromEntries(nodes.map((host, i) => [`${host}:9042`, `127.0.0.1:${sourcePorts[i] ?? 0}`]));
    const targetHosts = delaysTarget ? `127.0.0.1:${ports[0] ?? 0}` : '127.0.0.1:5432';
    const extra = delaysSource ? ['--set', `source.addressMap=${Object.entries(addressMap).map(([from, to]) => `${from}=${to}`).join(',')}`] : [];
    const sweep: SweepRun[] = [];
    try {
      for (const delay of [0, oneWayMs]) {
        await ask(proxy, { delayMs: delay });
        const rttMs = delaysTarget ? await measuredRttMs(ports[0] ?? 0) : await measuredCassandraRttMs(addressMap);
        const before = await ask<{ bytes: number; cpuMicros: number }>(proxy, 'stats');
        const points = [];
        for (const n of streams) {
          const executors = Math.min(2, n);
          const settings = { rows, trials, parallelism: n, executors, cores: Math.ceil(n / executors), splitSizeMb };
          const rates: number[] = [];
          for (let trial = 0; trial < trials; trial++) {
            const { report } = endToEnd(settings, 'bench_limits', 'events', targetHosts, extra);
            if (report.rowsTotal !== rows) throw new Error(`run moved ${report.rowsTotal} of ${rows} rows`);
            rates.push(report.rowsPerSecond);
          }
          points.push({ streams: n, rowsPerSecond: rates, median: median(rates) });
          console.log(`[bench] ${side} one-way ${delay} ms (RTT ${rttMs.toFixed(2)} ms), ${n} streams: ${rates.join(', ')} rows/s, median ${median(rates)}`);
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
    for (const r of ratios) console.log(`[bench] ${side} behind ${2 * oneWayMs} ms RTT, ${r.streams} streams: rate / rate(0 ms) = ${r.ratio}`);
    results.push({ side, sweep, ratios });
  }
  const target = results.find((r) => r.side === 'target');
  const most = Math.max(...streams);
  const atMost = (side: Side): number | null => results.find((r) => r.side === side)?.ratios.find((r) => r.streams === most)?.ratio ?? null;
  const rttMs = target?.sweep[1]?.rttMs ?? results[0]?.sweep[1]?.rttMs ?? 0;
  const file = writeResults('latency', {
    parameters: { rows, trials, streams, oneWayMs, splitSizeMb, sides, cassandraWarmUpMicrosPerRow: warmUp, executors: 'min(2, streams)', cores: 'ceil(streams / executors)', target: 'machine PostgreSQL 127.0.0.1:5432', source: `bench_limits.events (RF 1) on ${cassandraNodes} Cassandra node(s)`, proxy: 'TcpProxy in its own process, one per node of the delayed side' },
    sides: results,
    // The target side's figures at the top level as well: the seed's model is about the target's round trip.
    sweep: target?.sweep ?? [], ratios: target?.ratios ?? [],
    bar: { streams: most, required: BAR.required, rttMs: 2 * oneWayMs, measured: Object.fromEntries(sides.map((side) => [side, atMost(side)])) },
  });
  const drawn = await chartResults(file);
  console.log(`[bench] results: ${file}, chart: ${drawn.svg}, summary: ${drawn.markdown}`);
  const figure = (side: Side): string => atMost(side)?.toFixed(3) ?? 'n/a';
  console.log(`latency: rtt_ms=${rttMs.toFixed(1)} target_${most}=${figure('target')} source_${most}=${figure('source')} both_${most}=${figure('both')}`);
}
