/**
 * scale-out: one distributed migration served by 1, 2 and 3 `c2y worker`s, each in its own network namespace (its
 * own "machine"), every worker with the same cores; rows/s per worker count, with how busy the machine's CPUs were,
 * since on this 2-core machine the workers, Cassandra, PostgreSQL and Redis all share two cores.
 * `npm run bench -- scale-out [--rows 200000] [--trials 3] [--cores 4] [--workers 1,2,3] [--quick]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { RunReport } from '../src/observe/index.js';
import {
  createWorkerNamespaces, inNamespace, postgresRunning, removeWorkerNamespaces, startPostgres, startTestbedRedis, testbedPgPort, type WorkerNamespace,
} from '../src/testbed/index.js';
import { ensureBenchCassandra, ensureData } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';

const DATABASE = 'c2y_bench';
const C2Y = 'bin/c2y.js';

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}

async function ensureBenchTarget(): Promise<number> {
  if (!postgresRunning()) startPostgres((line) => console.log(`[bench] ${line}`));
  const port = testbedPgPort();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rows.length === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  return port;
}

/** Driver and workers sign and check with one key; a bench run makes its own. */
process.env['C2Y_RUN_KEY'] ??= randomBytes(32).toString('hex');

function startWorker(namespace: WorkerNamespace, redisUrl: string, cores: number, port: number): ChildProcess {
  // The bench ring and target: the only nodes a worker may connect to.
  const allow = ['--allow-source', '127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042', '--allow-target', ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(',')];
  const argv = inNamespace(namespace, process.execPath, [C2Y, 'worker', '--redis', redisUrl, ...allow, '--cores', String(cores), '--name', `bench-w${namespace.index}`, '--json']);
  return spawn(argv.command, argv.args, { stdio: 'ignore', detached: true });
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
    if (worker.exitCode !== null || worker.signalCode !== null) return resolve();
    worker.once('exit', () => resolve());
    worker.kill('SIGTERM');
  })));
}

interface Trial { readonly workers: number; readonly rows: number; readonly seconds: number; readonly rowsPerSecond: number; readonly cpuBusy: number; readonly rowsByWorker: Record<string, number> }

async function runOnce(workerCount: number, namespaces: readonly WorkerNamespace[], redisUrl: string, port: number, settings: { cores: number; parallelism: number; splitSizeMb: number }): Promise<Trial> {
  const workers = namespaces.slice(0, workerCount).map((namespace) => startWorker(namespace, redisUrl, settings.cores, port));
  try {
    await sleep(1500);
    const cpuBefore = cpuTimes();
    const driver = spawn(process.execPath, [C2Y, 'migrate', '--distributed', '--redis', redisUrl, '--keyspace', 'bench_limits', '--table', 'events', '--consistency', 'ONE',
      '--split-size-mb', String(settings.splitSizeMb), '--target-hosts', ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(','), '--database', DATABASE,
      '--target-table', 'events_scale', '--parallelism', String(settings.parallelism), '--restart', '--json', '--ui-port', '0', '--run-dir', '/tmp/c2y-bench-runs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    driver.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    driver.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => driver.on('close', resolve));
    const cpuAfter = cpuTimes();
    if (code !== 0) throw new Error(`c2y migrate --distributed failed: ${stderr.slice(-1500)}`);
    const report = JSON.parse(stdout) as RunReport;
    const rowsByWorker = Object.fromEntries(report.executors.map((e) => [e.worker ?? String(e.executor), e.rows]));
    return {
      workers: workerCount, rows: report.rows, seconds: report.durationSeconds, rowsPerSecond: report.rowsPerSecond,
      cpuBusy: Math.round(((cpuAfter.busy - cpuBefore.busy) / Math.max(1, cpuAfter.total - cpuBefore.total)) * 1000) / 1000, rowsByWorker,
    };
  } finally {
    await stopWorkers(workers);
  }
}

export async function scaleOutBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '200000' }, trials: { type: 'string', default: '3' }, cores: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1,2,3' }, quick: { type: 'boolean', default: false },
  } });
  const rows = values.quick ? 10_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const cores = values.quick ? 2 : Number(values.cores);
  const workerCounts = (values.quick ? '1,2' : values.workers).split(',').map(Number);
  const most = Math.max(...workerCounts);
  // Enough splits for the most workers' cores, so adding a worker adds streams.
  const parallelism = most * cores;
  const splitSizeMb = Math.max(0.05, (rows * 320) / 1024 / 1024 / parallelism);
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows);
  const port = await ensureBenchTarget();
  const redis = await startTestbedRedis();
  const namespaces = createWorkerNamespaces(most);
  const results: Trial[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      for (const count of workerCounts) {
        const result = await runOnce(count, namespaces, redis.url, port, { cores, parallelism, splitSizeMb });
        results.push(result);
        console.log(`[bench] trial ${trial + 1}, ${count} worker(s): ${result.rowsPerSecond} rows/s, CPU busy ${(result.cpuBusy * 100).toFixed(0)} %, rows by worker ${JSON.stringify(result.rowsByWorker)}`);
      }
    }
  } finally {
    await redis.stop();
    removeWorkerNamespaces();
  }
  const byCount = workerCounts.map((workers) => {
    const runs = results.filter((r) => r.workers === workers);
    return { workers, rowsPerSecond: Math.round(median(runs.map((r) => r.rowsPerSecond))), cpuBusy: median(runs.map((r) => r.cpuBusy)), trials: runs.map((r) => r.rowsPerSecond) };
  });
  const one = byCount.find((b) => b.workers === 1)?.rowsPerSecond ?? Number.NaN;
  const file = writeResults('scale-out', {
    parameters: {
      rows, trials, coresPerWorker: cores, parallelism, splitSizeMb, workerCounts, cassandraNodes,
      source: `bench_limits.events (RF 1) on ${cassandraNodes} Cassandra node(s)`, target: `test bed PostgreSQL through 3 addresses, port ${port}`,
      workersRunIn: 'one network namespace each (veth pair, loopback routed), the same 2-core machine',
    },
    byWorkerCount: byCount.map((b) => ({ ...b, overOneWorker: Math.round((b.rowsPerSecond / one) * 100) / 100 })),
    results,
    note: 'Every worker, Cassandra, PostgreSQL and Redis share this machine\'s cores: once CPU busy nears 100 %, more workers cannot add rows/s here; on separate machines each worker brings its own cores.',
  });
  const drawn = await chartResults(file);
  console.log(`[bench] ${byCount.map((b) => `${b.workers} worker(s) ${b.rowsPerSecond} rows/s (CPU ${(b.cpuBusy * 100).toFixed(0)} %)`).join(', ')} → ${file}, ${drawn.svg}`);
}
