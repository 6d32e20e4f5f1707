/**
 * scale-out: one distributed migration served by 1, 2 and 3 `c2y worker`s, each a simulated machine: its own network
 * namespace, and its own CPU cgroup with a quota (`--quota`, 0.05 of a core by default: three workers must stay under what the shared Cassandra can read) that the worker and the
 * executors it forks share. The quota, not the two cores the workers share with Cassandra, PostgreSQL and Redis, is
 * then what limits a worker, as a machine's own cores would: rows/s per worker count, the workers' CPU seconds
 * (their cgroups') and how busy the whole machine was, beside it. This simulates machines; it is not a cluster.
 * `npm run bench -- scale-out [--rows 1000000] [--trials 3] [--cores 2] [--quota 0.05] [--workers 1,2,3] [--splits-per-stream 4] [--quick]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunReport } from '../src/observe/index.js';
import {
  createWorkerNamespaces, inNamespace, removeWorkerNamespaces, startTestbedRedis, type WorkerNamespace,
} from '../src/testbed/index.js';
import { ensureBenchCassandra, ensureData, sizedKeyspace } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';
import { ensureTestbedDatabase } from './lib/bench-target.js';
import { createCpuQuota, drainQuota, processTree, type CpuQuota } from './lib/cpu-quota.js';
import { ownCpuSeconds } from './lib/proc-cpu.js';

const DATABASE = 'c2y_bench';
const C2Y = 'bin/c2y.js';

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}


/** Driver and workers sign and check with one key; a bench run makes its own. */
process.env['C2Y_RUN_KEY'] ??= randomBytes(32).toString('hex');

/**
 * A worker started on its machine, resolved once it says it serves. A machine's worker is a long-lived process: its
 * own start (node, its modules, its spare executor) is not part of a run's time, so it starts unthrottled and moves
 * into its quota with its spare executor once it serves, before the driver starts the run; executors it forks later
 * are born in the group. (Started under 0.05 of a core, a slow machine took over 60 s to start one.)
 */
async function startWorker(namespace: WorkerNamespace, quota: CpuQuota, redisUrl: string, cores: number, port: number): Promise<ChildProcess> {
  // The bench ring and target: the only nodes a worker may connect to.
  const allow = ['--allow-source', '127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042', '--allow-target', ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(',')];
  const argv = inNamespace(namespace, process.execPath, [C2Y, 'worker', '--redis', redisUrl, ...allow, '--cores', String(cores), '--name', `bench-w${namespace.index}`, '--json']);
  const child = spawn(argv.command, argv.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker bench-w${namespace.index} did not start in 120 s: ${log.slice(-500)}`)), 120_000);
      child.once('exit', (code) => reject(new Error(`worker bench-w${namespace.index} exited (${String(code)}) before it served: ${log.slice(-500)}`)));
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('"worker started"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  for (const pid of child.pid === undefined ? [] : processTree(child.pid)) {
    try {
      quota.add(pid);
    } catch {
      // It exited between the listing and the move.
    }
  }
  // Keep reading, so a full pipe never stalls it.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** Starts each machine's worker; if one fails, those that started are stopped before the error goes on. */
async function startWorkers(serving: ReadonlyArray<{ namespace: WorkerNamespace; quota: CpuQuota }>, redisUrl: string, cores: number, port: number): Promise<ChildProcess[]> {
  const started = await Promise.allSettled(serving.map((machine) => startWorker(machine.namespace, machine.quota, redisUrl, cores, port)));
  const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stopWorkers(workers, serving.map((machine) => machine.quota));
    throw failed.reason;
  }
  return workers;
}

/** Stops the workers, then waits until their groups are empty: the next trial's workers get the whole quota. */
async function stopWorkers(workers: readonly ChildProcess[], quotas: readonly CpuQuota[]): Promise<void> {
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
    if (worker.exitCode !== null || worker.signalCode !== null) return resolve();
    worker.once('exit', () => resolve());
    worker.kill('SIGTERM');
  })));
  for (const quota of quotas) await drainQuota(quota);
}

interface Trial {
  readonly workers: number; readonly rows: number; readonly seconds: number; readonly rowsPerSecond: number; readonly cpuBusy: number;
  readonly rowsByWorker: Record<string, number>;
  /** CPU seconds each worker's cgroup used in the run, and that over the run's seconds (at most its quota). */
  readonly workerCpuSeconds: number[];
  readonly workerCoresUsed: number[];
  /**
   * CPU seconds of the executors (their own process.cpuUsage, from the report), summed over all workers: the rest of
   * the groups' CPU is the workers' own processes (queue, heartbeats, events) and executors' start-up.
   */
  readonly executorCpuSeconds: number;
  /** CPU seconds of each worker's own process in the run (queue, leases, events): the rest of its group's is its executor's. */
  readonly workerProcessCpuSeconds: number[];
  /** The groups' CPU over the rows: the same if workers only split the work, higher if each adds work of its own. */
  readonly groupMicrosPerRow: number;
}

async function runOnce(workerCount: number, machines: ReadonlyArray<{ namespace: WorkerNamespace; quota: CpuQuota }>, redisUrl: string, port: number, settings: { cores: number; parallelism: number; splitSizeMb: number; keyspace: string }): Promise<Trial> {
  const serving = machines.slice(0, workerCount);
  const workers = await startWorkers(serving, redisUrl, settings.cores, port);
  try {
    const cpuBefore = cpuTimes();
    const quotaBefore = serving.map((machine) => machine.quota.cpuSeconds());
    const ownBefore = workers.map((worker) => ownCpuSeconds(worker.pid ?? 0));
    const driver = spawn(process.execPath, [C2Y, 'migrate', '--distributed', '--redis', redisUrl, '--keyspace', settings.keyspace, '--table', 'events', '--consistency', 'ONE',
      '--split-size-mb', String(settings.splitSizeMb), '--target-hosts', ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(','), '--database', DATABASE,
      '--target-table', 'events_scale', '--parallelism', String(settings.parallelism), '--restart', '--json', '--ui-port', '0', '--run-dir', '/tmp/c2y-bench-runs'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    driver.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    driver.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => driver.on('close', resolve));
    const cpuAfter = cpuTimes();
    const workerCpuSeconds = serving.map((machine, i) => Math.round((machine.quota.cpuSeconds() - (quotaBefore[i] ?? 0)) * 100) / 100);
    const workerProcessCpuSeconds = workers.map((worker, i) => Math.round((ownCpuSeconds(worker.pid ?? 0) - (ownBefore[i] ?? 0)) * 100) / 100);
    if (code !== 0) throw new Error(`c2y migrate --distributed failed: ${stderr.slice(-1500)}`);
    const report = JSON.parse(stdout) as RunReport;
    const rowsByWorker = Object.fromEntries(report.executors.map((e) => [e.worker ?? String(e.executor), e.rows]));
    return {
      workers: workerCount, rows: report.rows, seconds: report.durationSeconds, rowsPerSecond: report.rowsPerSecond,
      cpuBusy: Math.round(((cpuAfter.busy - cpuBefore.busy) / Math.max(1, cpuAfter.total - cpuBefore.total)) * 1000) / 1000, rowsByWorker,
      workerCpuSeconds, workerProcessCpuSeconds, groupMicrosPerRow: Math.round((workerCpuSeconds.reduce((a, b) => a + b, 0) / Math.max(1, report.rows)) * 1e7) / 10, executorCpuSeconds: Math.round(report.executors.reduce((sum, e) => sum + e.cpuSeconds, 0) * 100) / 100,
      workerCoresUsed: workerCpuSeconds.map((seconds) => Math.round((seconds / Math.max(0.001, report.durationSeconds)) * 1000) / 1000),
    };
  } finally {
    await stopWorkers(workers, serving.map((machine) => machine.quota));
  }
}

export async function scaleOutBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '1000000' }, trials: { type: 'string', default: '3' }, cores: { type: 'string', default: '2' }, quota: { type: 'string' },
    workers: { type: 'string', default: '1,2,3' }, 'splits-per-stream': { type: 'string', default: '4' }, quick: { type: 'boolean', default: false },
  } });
  const rows = values.quick ? 10_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const cores = values.quick ? 2 : Number(values.cores);
  const workerCounts = (values.quick ? '1,2' : values.workers).split(',').map(Number);
  const most = Math.max(...workerCounts);
  // Enough splits for the most workers' cores, so adding a worker adds streams.
  // Splits per stream of the most workers (parallelism decides: a split size too small to bind): with one split per
  // stream the table's size estimate cut fewer splits than streams, and one worker of three got none. Four, not two:
  // a worker that finishes early takes the next split from the queue, and smaller splits leave a shorter tail where
  // the others still run (a real table of billions of rows has thousands of splits).
  const parallelism = most * cores * Number(values['splits-per-stream']);
  const splitSizeMb = 0.01;
  const cassandraNodes = await ensureBenchCassandra();
  // A keyspace of its own size: loading it does not reload the table other scenarios read.
  const keyspace = sizedKeyspace(rows);
  await ensureData(rows, keyspace, values.quick);
  const port = await ensureTestbedDatabase(DATABASE);
  const redis = await startTestbedRedis();
  // --quick only proves the machinery (namespaces, quotas, workers): at 0.05 of a core a worker and its executor took
  // minutes to start and let their heartbeats lapse (2026-12-06), so its default quota is half a core.
  const quotaCores = Number(values.quota ?? (values.quick ? '0.5' : '0.05'));
  const namespaces = createWorkerNamespaces(most);
  const machines: Array<{ namespace: WorkerNamespace; quota: CpuQuota }> = [];
  const results: Trial[] = [];
  try {
    for (const namespace of namespaces) machines.push({ namespace, quota: createCpuQuota(`c2y-bench-w${namespace.index}`, quotaCores) });
    for (let trial = 0; trial < trials; trial++) {
      for (const count of workerCounts) {
        const result = await runOnce(count, machines, redis.url, port, { cores, parallelism, splitSizeMb, keyspace });
        results.push(result);
        console.log(`[bench] trial ${trial + 1}, ${count} worker(s): ${result.rowsPerSecond} rows/s, cores used by each worker ${result.workerCoresUsed.join(', ')} (quota ${quotaCores}), machine CPU busy ${(result.cpuBusy * 100).toFixed(0)} %, CPU of the groups ${result.workerCpuSeconds.reduce((a, b) => a + b, 0).toFixed(2)} s = ${result.groupMicrosPerRow} µs a row (worker processes ${result.workerProcessCpuSeconds.reduce((a, b) => a + b, 0).toFixed(2)} s), rows by worker ${JSON.stringify(result.rowsByWorker)}`);
      }
    }
  } finally {
    await redis.stop();
    for (const machine of machines) await drainQuota(machine.quota).then(() => machine.quota.remove()).catch((error: unknown) => console.log(`[bench] could not remove ${machine.quota.path}: ${String(error)}`));
    removeWorkerNamespaces();
  }
  const byCount = workerCounts.map((workers) => {
    const runs = results.filter((r) => r.workers === workers);
    return {
      workers, rowsPerSecond: Math.round(median(runs.map((r) => r.rowsPerSecond))), cpuBusy: median(runs.map((r) => r.cpuBusy)), trials: runs.map((r) => r.rowsPerSecond),
      workerCoresUsed: median(runs.map((r) => r.workerCoresUsed.reduce((a, b) => a + b, 0) / r.workerCoresUsed.length)),
      groupMicrosPerRow: median(runs.map((r) => r.groupMicrosPerRow)),
    };
  });
  const one = byCount.find((b) => b.workers === 1)?.rowsPerSecond ?? Number.NaN;
  const ratioOf = (workers: number): number | null => {
    const rate = byCount.find((b) => b.workers === workers)?.rowsPerSecond;
    return rate === undefined ? null : Math.round((rate / one) * 100) / 100;
  };
  const file = writeResults('scale-out', {
    parameters: {
      rows, trials, coresPerWorker: cores, cpuQuotaPerWorker: quotaCores, cgroup: machines[0]?.quota.version === 2 ? 'v2 cpu.max' : 'v1 cpu.cfs_quota_us', parallelism, splitSizeMb, workerCounts, cassandraNodes,
      source: `${keyspace}.events (RF 1) on ${cassandraNodes} Cassandra node(s)`, target: `test bed PostgreSQL through 3 addresses, port ${port}`,
      workersRunIn: `simulated machines: one network namespace (veth pair) and one CPU cgroup with a ${quotaCores}-core quota each, on the same 2-core machine`,
    },
    byWorkerCount: byCount.map((b) => ({ ...b, overOneWorker: Math.round((b.rowsPerSecond / one) * 100) / 100 })),
    results,
    bars: { twoWorkers: { required: 1.8, measured: ratioOf(2) }, threeWorkers: { required: 2.5, measured: ratioOf(3) } },
    note: 'Each worker is held to its quota, as a machine is to its cores; Cassandra, PostgreSQL and Redis still share the real cores, so once the machine is busy near 100 % more workers cannot add rows/s even here.',
  });
  const drawn = await chartResults(file);
  console.log(`[bench] ${byCount.map((b) => `${b.workers} worker(s) ${b.rowsPerSecond} rows/s (each worker ${b.workerCoresUsed} cores of ${quotaCores}; ${b.groupMicrosPerRow} µs of the groups' CPU a row; machine CPU ${(b.cpuBusy * 100).toFixed(0)} %)`).join(', ')} → ${file}, ${drawn.svg}`);
  // A worker count this run did not measure (--quick runs 1 and 2) prints n/a, as latency's unmeasured sides do.
  console.log(`scale-out: quota_cores=${quotaCores} ${byCount.map((b) => `w${b.workers}=${b.rowsPerSecond}`).join(' ')} ratio2=${ratioOf(2) ?? 'n/a'} ratio3=${ratioOf(3) ?? 'n/a'}`);
}
