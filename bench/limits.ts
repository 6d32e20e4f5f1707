/**
 * limits: source-only scan, sink-only `psql \copy`, encode-only, and c2y end to end on the same table and machine in
 * one run. `npm run bench -- limits [--rows 1000000] [--trials 3] [--quick] [--on-existing update|skip]`; with
 * --on-existing, each trial also runs c2y through the staging table into an empty and into a full target.
 * c2y runs as one executor of 8 tasks unless --parallelism/--executors/--cores say otherwise: on this 2-core machine
 * a second executor only adds its own start-up and warm-up (~0.9 s of CPU, 2026-12-03), and the run's report says
 * so (executorsAdvice). The source-only scan uses the same executors and tasks.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, type C2yConfig } from '../src/config/index.js';
import { ChunkWriter, createRowEncoder } from '../src/encode/index.js';
import type { RunReport } from '../src/observe/index.js';
import { splitToJson, type SplitJson } from '../src/plan/index.js';
import { effectiveFetchSize } from '../src/task/index.js';
import type { SourceTable } from '../src/schema/index.js';
import { consistencyCode, describeTable, openCassandra, scanRanges, sessionOptionsOf, sourceSelection } from '../src/source/index.js';
import { measureTable, splitsOf } from '../src/workflow/index.js';
import { cassandraStatus, loadTestData, startCassandra } from '../src/testbed/index.js';
import { cassandraAtRest, cassandraWarm, WARM_SCANS_MAX } from './lib/at-rest.js';
import { boundOf } from './lib/bound.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';
import { postmasterPid, processTreeCpuSeconds, processesCpuSeconds } from './lib/proc-cpu.js';
import { cpus } from 'node:os';

const KEYSPACE = 'bench_limits';
const DATABASE = 'c2y_bench';
const COPY_FILE = '/tmp/c2y-bench-events.copy';

export interface Settings { rows: number; trials: number; parallelism: number; executors: number; cores: number; splitSizeMb: number }

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The bench's Cassandra: whatever test bed is running (a 1-node demo or the suite's 3-node ring, which the quick
 * benches in the test suite share), else one node. The bench keyspace has RF 1 either way, read at ONE.
 * Returns the number of nodes, which every results file records.
 */
export async function ensureBenchCassandra(): Promise<number> {
  const running = (await cassandraStatus(3)).filter((n) => n.pid !== undefined && n.cqlOpen);
  if (running.length > 0) {
    console.log(`[bench] using the running test bed: ${running.length} Cassandra node(s)`);
    return running.length;
  }
  await startCassandra({ nodes: 1, log: (line) => console.log(`[bench] ${line}`) });
  return 1;
}

/** A keyspace per bench table size, so scenarios that need different sizes do not reload each other's. */
export function sizedKeyspace(rows: number): string {
  return `bench_scale_${rows % 1_000_000 === 0 ? `${rows / 1_000_000}m` : rows % 1000 === 0 ? `${rows / 1000}k` : String(rows)}`;
}

/**
 * A --quick pass measures nothing (tiny data, one trial): it waits for a Cassandra at rest no longer than this. The
 * full wait (up to 5 min) cost the suite's quick pass ~70 s a scenario on a slow machine (2026-12-06).
 */
const QUICK_SETTLE_MS = 4000;
/** Between a full trial's phases, Cassandra has this long to come to rest (a scan's collections end within seconds). */
const PHASE_SETTLE_MS = 30_000;

/**
 * `rows` events in `keyspace` (RF 1), loaded once: a marker row written after a complete load says so, since
 * COUNT(*) of millions of rows outlasts Cassandra's own range timeout. Without the marker the table is counted.
 * Then Cassandra is left to come to rest (`quick`: a few seconds at most).
 */
export async function ensureData(rows: number, keyspace = KEYSPACE, quick = false): Promise<void> {
  const settleMs = quick ? QUICK_SETTLE_MS : undefined;
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  let present = 0;
  try {
    if (client.metadata.keyspaces[keyspace] && (await client.metadata.getTable(keyspace, 'events'))) {
      const marker = (await client.metadata.getTable(keyspace, 'bench_loaded'))
        ? Number(String((await client.execute(`SELECT rows FROM ${keyspace}.bench_loaded WHERE id = 1`)).first()?.['rows'] ?? -1))
        : -1;
      present = marker >= 0 ? marker : Number((await client.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.events`, [], { readTimeout: 300_000 })).first()?.['n'] ?? 0);
    }
    if (present === rows) {
      await settleCassandra(settleMs);
      return;
    }
    if (present > 0 || client.metadata.keyspaces[keyspace]) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 120_000 });
  } finally {
    await client.shutdown();
  }
  const loaded = await loadTestData({ contactPoints: ['127.0.0.1'], keyspace, rows, zooRows: 0, seed: 42, concurrency: 64, replicationFactor: 1, log: (line) => console.log(`[bench] ${line}`) });
  console.log(`[bench] generator: ${rows} rows at ${Math.round(loaded.rowsPerSecond)} rows/s`);
  await markLoaded(keyspace, rows);
  await settleCassandra(settleMs);
}

/**
 * Waits (up to `limitMs`) until Cassandra's JVMs are at rest (`cassandraAtRest`: under a tenth of a core a node over
 * 2 s, or settled on their own idle floor): a fresh load leaves memtable flushes and compactions running for tens of
 * seconds, and a phase measured meanwhile shares the cores with them (2026-12-05, peers: c2y's first trial after a
 * 1M-row load ran at 79K rows/s, its next two at 134–141K).
 */
export async function settleCassandra(limitMs = 300_000): Promise<void> {
  const pids = (await cassandraStatus(3)).map((node) => node.pid).filter((pid): pid is number => pid !== undefined);
  const started = Date.now();
  const shares: number[] = [];
  for (;;) {
    const before = processesCpuSeconds(pids);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    shares.push((processesCpuSeconds(pids) - before) / 2);
    if (cassandraAtRest(shares, pids.length)) break;
    if (Date.now() - started > limitMs) {
      console.log(`[bench] Cassandra still busy after ${limitMs / 1000} s (${shares.at(-1)?.toFixed(2)} cores): measuring anyway`);
      return;
    }
  }
  if (Date.now() - started > 2500) console.log(`[bench] Cassandra at rest after ${Math.round((Date.now() - started) / 1000)} s (${shares.at(-1)?.toFixed(2)} cores)`);
}

/**
 * Untimed source-only scans of `keyspace`'s events until Cassandra's CPU a row holds still (`cassandraWarm`), so no
 * trial measures a read path its JVMs are still compiling. Each scan's figure is printed; returns them.
 */
export async function warmCassandra(keyspace = KEYSPACE): Promise<number[]> {
  const config = benchConfig({ rows: 0, trials: 0, parallelism: 2, executors: 1, cores: 2, splitSizeMb: 16 }, keyspace);
  const { table, splits } = await plannedSplits(config);
  const servers = await serverCpu();
  const microsPerRow: number[] = [];
  while (!cassandraWarm(microsPerRow) && microsPerRow.length < WARM_SCANS_MAX) {
    const before = servers.cassandra();
    const scan = await sourceOnly(config, table, splits);
    microsPerRow.push(((servers.cassandra() - before) * 1e6) / Math.max(scan.rows, 1));
  }
  const figures = microsPerRow.map((v) => v.toFixed(2)).join(', ');
  console.log(`[bench] Cassandra ${cassandraWarm(microsPerRow) ? 'warm' : `not steady after ${WARM_SCANS_MAX} scans, measuring anyway`}: its CPU a row over the warm-up scans ${figures} µs`);
  return microsPerRow;
}

export async function markLoaded(keyspace: string, rows: number): Promise<void> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  try {
    await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.bench_loaded (id int PRIMARY KEY, rows bigint)`);
    await client.execute(`INSERT INTO ${keyspace}.bench_loaded (id, rows) VALUES (1, ${Math.trunc(rows)})`);
  } finally {
    await client.shutdown();
  }
}

export function benchConfig(s: Settings, keyspace = KEYSPACE): C2yConfig {
  return loadConfig({ flags: {
    'source.keyspace': keyspace, 'source.table': 'events', 'source.consistency': 'ONE', 'source.splitSizeMb': String(s.splitSizeMb),
    'target.hosts': '127.0.0.1:5432', 'target.database': DATABASE, parallelism: String(s.parallelism), executors: String(s.executors), cores: String(s.cores),
  } }).config;
}

/** The splits c2y would cut for this config, for the source-only scan. */
export async function plannedSplits(config: C2yConfig): Promise<{ table: SourceTable; splits: SplitJson[] }> {
  const client = await openCassandra(sessionOptionsOf(config.source));
  const table = await describeTable(client, config.source.keyspace, 'events');
  // Measured and cut as migrate does it (the whole table: the bench selects no token ranges).
  const selection = sourceSelection(config, table);
  const splits = splitsOf(client, table, await measureTable(client, config, table, selection), selection).map(splitToJson);
  await client.shutdown();
  return { table, splits };
}

/** CPU seconds Cassandra's nodes (every JVM of the ring) and the bench's PostgreSQL (its whole process tree) have used. */
export async function serverCpu(): Promise<{ cassandra: () => number; postgres: () => number }> {
  const pids = (await cassandraStatus(3)).map((node) => node.pid).filter((pid): pid is number => pid !== undefined);
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const dataDirectory = String((await admin.query('SHOW data_directory')).rows[0]?.['data_directory']);
  await admin.end();
  const postmaster = postmasterPid(dataDirectory);
  return { cassandra: () => processesCpuSeconds(pids), postgres: () => processTreeCpuSeconds(postmaster) };
}

export async function sourceOnly(config: C2yConfig, table: SourceTable, splits: SplitJson[]): Promise<{ rows: number; seconds: number; rowsPerSecond: number; cpuSeconds: number }> {
  const worker = fileURLToPath(new URL('./lib/scan-worker.ts', import.meta.url));
  const started = Date.now();
  const shares = Array.from({ length: config.executors }, (_, e) => splits.filter((_, i) => i % config.executors === e));
  const results = await Promise.all(shares.map((share) => new Promise<{ rows: number; seconds: number; cpuSeconds: number }>((resolve, reject) => {
    const child = fork(worker, [], { execArgv: ['--import', 'tsx'] });
    child.once('message', (message) => resolve(message as { rows: number; seconds: number; cpuSeconds: number }));
    child.once('error', reject);
    child.send({ config, table, splits: share, cores: config.cores, fetchSize: effectiveFetchSize(config) });
  })));
  const rows = results.reduce((sum, r) => sum + r.rows, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  void started;
  return { rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds: results.reduce((sum, r) => sum + r.cpuSeconds, 0) };
}

/** A run of c2y migrate; `--restart` empties the target first unless `extra` says `--on-existing` without `--restart`. */
export function endToEnd(s: Settings, keyspace = KEYSPACE, tableName = 'events', targetHosts = '127.0.0.1:5432', extra: readonly string[] = [], restart = true): { report: RunReport; cpuSeconds: number } {
  const args = ['bin/c2y.js', 'migrate', '--keyspace', keyspace, '--table', tableName, '--consistency', 'ONE', '--split-size-mb', String(s.splitSizeMb),
    '--target-hosts', targetHosts, '--ui-port', '0', '--database', DATABASE, '--parallelism', String(s.parallelism), '--executors', String(s.executors),
    '--cores', String(s.cores), ...(restart ? ['--restart'] : []), '--json', '--run-dir', '/tmp/c2y-bench-runs', ...extra];
  // bash's `time` counts the driver and every executor it reaped: the migrator's whole CPU.
  const run = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time node ${args.map((a) => `'${a}'`).join(' ')}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`c2y migrate failed: ${run.stderr.slice(-2000)}`);
  const [user, system] = (run.stderr.trim().split('\n').pop() ?? '0 0').split(' ').map(Number);
  return { report: JSON.parse(run.stdout) as RunReport, cpuSeconds: (user ?? 0) + (system ?? 0) };
}

/** CPU seconds of every executor of the run, as each measured its own (process.cpuUsage at its last report). */
export function executorsCpu(report: RunReport): number {
  return report.executors.reduce((sum, executor) => sum + executor.cpuSeconds, 0);
}

/** The rows as c2y sent them, in the same COPY format, for the sink-only load (PostgreSQL parses binary for less CPU). */
const copyFileOf = (format: 'text' | 'binary'): string => `${COPY_FILE}.${format}`;
const copyOption = (format: 'text' | 'binary'): string => (format === 'binary' ? ' (FORMAT binary)' : '');

const PSQL = ['-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', DATABASE, '-v', 'ON_ERROR_STOP=1', '-q'];

/**
 * PostgreSQL brought to rest before a measured phase (limits' phases, each tool's run in peers): the last load's
 * vacuum and a checkpoint run here, outside every window. Left to autovacuum and the WAL's size they land in whichever phase comes next, on either side of the ratio
 * (2026-12-05, Intel 2-core: psql's COPY measured 4.16, 2.77 and 2.54 µs/row of PostgreSQL CPU in three trials).
 */
export function settlePostgres(): void {
  sh('psql', [...PSQL, '-c', 'VACUUM']);
  sh('psql', [...PSQL, '-c', 'CHECKPOINT']);
}

function sinkOnly(rows: number, format: 'text' | 'binary'): { seconds: number; rowsPerSecond: number } {
  const psql = PSQL;
  sh('psql', [...psql, '-c', 'DROP TABLE IF EXISTS public.events_sink; CREATE TABLE public.events_sink (LIKE public.events INCLUDING ALL)']);
  const started = process.hrtime.bigint();
  sh('psql', [...psql, '-c', `\\copy public.events_sink FROM '${copyFileOf(format)}'${copyOption(format)}`]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, rowsPerSecond: rows / seconds };
}

/** The encoder alone on `sampleRows` rows read once, encoded again and again up to `encodedRows` (--quick: fewer). */
export async function encodeOnly(config: C2yConfig, table: SourceTable, sampleRows: number, encodedRows = 500_000): Promise<{ rows: number; microsPerRow: number; bytesPerRow: number }> {
  const client = await openCassandra(sessionOptionsOf(config.source));
  const rows: unknown[][] = [];
  for await (const page of scanRanges({ client, table, ranges: [{ start: -(2n ** 63n), end: 2n ** 63n - 1n, replicas: [] }], fetchSize: 5000, consistency: consistencyCode('ONE'), replicaOffset: 0 })) {
    for (let index = 0; index < page.length; index++) rows.push(page.values(index));
    if (rows.length >= sampleRows) break;
  }
  await client.shutdown();
  const encoder = createRowEncoder(table);
  const writer = new ChunkWriter();
  let bytes = 0;
  let encoded = 0;
  const rounds = Math.max(1, Math.ceil(encodedRows / rows.length));
  for (const row of rows.slice(0, 2000)) encoder.encode(row, writer); // warm-up
  writer.take();
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) {
      encoder.encode(row, writer);
      encoded++;
      if (writer.length > 256 * 1024) bytes += writer.take().length;
    }
  }
  bytes += writer.take().length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows: encoded, microsPerRow: (seconds * 1e6) / encoded, bytesPerRow: bytes / encoded };
}

export async function ensureBenchDatabase(): Promise<void> {
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rows.length === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
}

const ON_EXISTING_KEYS = ['emptyRowsPerSecond', 'emptyC2yMicrosPerRow', 'emptyPostgresMicrosPerRow', 'fullRowsPerSecond', 'fullC2yMicrosPerRow', 'fullPostgresMicrosPerRow', 'fullRowsExisting'] as const;

/**
 * target.onExisting's cost: the same rows through the staging table into an emptied target (--restart), then again
 * into the full one (every key there; update rewrites none, since every row is equal). PostgreSQL's CPU is its whole
 * process tree's over the run, so it includes the checkpoint work the COPY-straight-in figure (psql) leaves out.
 */
function onExistingTrial(s: Settings, mode: string, postgresCpu: () => number): Record<(typeof ON_EXISTING_KEYS)[number], number> {
  const run = (restart: boolean): { report: RunReport; c2y: number; postgres: number } => {
    const before = postgresCpu();
    const { report } = endToEnd(s, KEYSPACE, 'events', '127.0.0.1:5432', ['--on-existing', mode], restart);
    // A backend's CPU reaches the postmaster's count once it is reaped (see the sink-only figure).
    spawnSync('sleep', ['1']);
    return { report, c2y: (executorsCpu(report) * 1e6) / report.rows, postgres: ((postgresCpu() - before) * 1e6) / report.rows };
  };
  const empty = run(true);
  const full = run(false);
  console.log(`[bench]   on-existing ${mode}: empty ${empty.report.rowsPerSecond} rows/s (PostgreSQL ${empty.postgres.toFixed(2)} µs/row), full ${full.report.rowsPerSecond} rows/s (PostgreSQL ${full.postgres.toFixed(2)} µs/row, ${full.report.existing?.rows ?? 0} rows already there)`);
  return {
    emptyRowsPerSecond: empty.report.rowsPerSecond, emptyC2yMicrosPerRow: empty.c2y, emptyPostgresMicrosPerRow: empty.postgres,
    fullRowsPerSecond: full.report.rowsPerSecond, fullC2yMicrosPerRow: full.c2y, fullPostgresMicrosPerRow: full.postgres, fullRowsExisting: full.report.existing?.rows ?? 0,
  };
}

export async function limitsBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '1000000' }, trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false },
    'on-existing': { type: 'string' },
    parallelism: { type: 'string', default: '8' }, executors: { type: 'string', default: '1' }, cores: { type: 'string', default: '8' },
  } });
  const s: Settings = {
    rows: values.quick ? 20_000 : Number(values.rows), trials: values.quick ? 1 : Number(values.trials),
    parallelism: Number(values.parallelism), executors: Number(values.executors), cores: Number(values.cores), splitSizeMb: values.quick ? 0.5 : 16,
  };
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(s.rows, KEYSPACE, values.quick);
  await ensureBenchDatabase();
  const warmUp = values.quick ? [] : await warmCassandra();

  const config = benchConfig(s);
  const { table, splits } = await plannedSplits(config);
  const trials: Array<Record<string, number | string>> = [];
  let lastReport: RunReport | undefined;
  const servers = await serverCpu();
  for (let trial = 0; trial < s.trials; trial++) {
    settlePostgres();
    if (!values.quick) await settleCassandra(PHASE_SETTLE_MS);
    const cassandraBefore = servers.cassandra();
    const source = await sourceOnly(config, table, splits);
    const cassandraMicrosPerRow = ((servers.cassandra() - cassandraBefore) * 1e6) / source.rows;
    // The scan's garbage leaves Cassandra's collectors busy for a while: c2y's run starts on a ring at rest too.
    if (!values.quick) await settleCassandra(PHASE_SETTLE_MS);
    const postgresBeforeRun = servers.postgres();
    const cassandraBeforeRun = servers.cassandra();
    const e2e = endToEnd(s);
    // Cassandra's CPU a row while c2y reads, beside source-only's: the bound assumes the reads cost the same.
    const e2eCassandraMicrosPerRow = ((servers.cassandra() - cassandraBeforeRun) * 1e6) / e2e.report.rows;
    spawnSync('sleep', ['1']);
    // PostgreSQL's whole CPU over c2y's run (COPY, checkpoints, WAL, background writers), beside psql's COPY alone below.
    const e2ePostgresMicrosPerRow = ((servers.postgres() - postgresBeforeRun) * 1e6) / e2e.report.rows;
    lastReport = e2e.report;
    const format = e2e.report.copyFormat.format;
    if (trial === 0 || !existsSync(copyFileOf(format))) {
      sh('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', DATABASE, '-q', '-c', `\\copy public.events TO '${copyFileOf(format)}'${copyOption(format)}`]);
    }
    settlePostgres();
    const postgresBefore = servers.postgres();
    const sink = sinkOnly(s.rows, format);
    // psql's backend exits as psql does, and its CPU reaches the postmaster's count only once it is reaped: read too
    // soon, a trial once measured 0.17 µs/row for PostgreSQL.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const postgresMicrosPerRow = ((servers.postgres() - postgresBefore) * 1e6) / s.rows;
    // The machine's ceiling for any migrator: its cores, spent only on Cassandra's and PostgreSQL's work per row.
    const { boundRowsPerSecond, e2eOverBound } = boundOf(e2e.report.rowsPerSecond, cassandraMicrosPerRow, postgresMicrosPerRow);
    const row = {
      trial, sourceOnlyRowsPerSecond: Math.round(source.rowsPerSecond), sinkOnlyRowsPerSecond: Math.round(sink.rowsPerSecond),
      e2eRowsPerSecond: e2e.report.rowsPerSecond, e2eRows: e2e.report.rows, e2eSeconds: e2e.report.durationSeconds,
      // The bar's figure: all executors' CPU (each process's own, start-up included) over rows. The driver process
      // (planning, progress, the report) is counted beside it, in the whole migrator's CPU from bash's `time`.
      executorsCpuSeconds: executorsCpu(e2e.report), e2eCpuMicrosPerRow: (executorsCpu(e2e.report) * 1e6) / e2e.report.rows,
      e2eCpuSeconds: e2e.cpuSeconds, allProcessesCpuMicrosPerRow: (e2e.cpuSeconds * 1e6) / e2e.report.rows,
      sourceOnlyCpuMicrosPerRow: (source.cpuSeconds * 1e6) / source.rows,
      ratio: e2e.report.rowsPerSecond / Math.min(source.rowsPerSecond, sink.rowsPerSecond),
      cassandraMicrosPerRow, e2eCassandraMicrosPerRow, postgresMicrosPerRow, e2ePostgresMicrosPerRow, boundRowsPerSecond, e2eOverBound,
      verdict: e2e.report.timeSplit.verdict, copyFormat: format,
      peakExecutorRssBytes: Math.max(...e2e.report.executors.map((e) => e.peakRssBytes)),
    };
    const merged = values['on-existing'] === undefined ? {} : onExistingTrial(s, values['on-existing'], servers.postgres);
    trials.push({ ...row, ...merged });
    console.log(`[bench] trial ${trial + 1}/${s.trials}: source-only ${row.sourceOnlyRowsPerSecond} rows/s, sink-only ${row.sinkOnlyRowsPerSecond} rows/s, e2e ${row.e2eRowsPerSecond} rows/s, ratio ${row.ratio.toFixed(2)}, c2y CPU ${row.e2eCpuMicrosPerRow.toFixed(2)} µs/row (executors; ${row.allProcessesCpuMicrosPerRow.toFixed(2)} with the driver process), Cassandra ${cassandraMicrosPerRow.toFixed(2)} µs/row, PostgreSQL ${postgresMicrosPerRow.toFixed(2)} µs/row, bound ${Math.round(boundRowsPerSecond)} rows/s, e2e / bound ${row.e2eOverBound.toFixed(2)} (${row.verdict})`);
  }
  const encode = await encodeOnly(config, table, Math.min(s.rows, 50_000));
  const pick = (key: string): number => median(trials.map((t) => t[key] as number));
  const onExisting = values['on-existing'] === undefined ? null : Object.fromEntries(ON_EXISTING_KEYS.map((key) => [key, pick(key)]));
  if (onExisting) console.log(`[bench] on-existing ${values['on-existing']} (medians): empty target ${onExisting['emptyRowsPerSecond']} rows/s, c2y ${Number(onExisting['emptyC2yMicrosPerRow']).toFixed(2)} µs/row, PostgreSQL ${Number(onExisting['emptyPostgresMicrosPerRow']).toFixed(2)} µs/row; full target ${onExisting['fullRowsPerSecond']} rows/s, c2y ${Number(onExisting['fullC2yMicrosPerRow']).toFixed(2)} µs/row, PostgreSQL ${Number(onExisting['fullPostgresMicrosPerRow']).toFixed(2)} µs/row; COPY straight in ${pick('e2eRowsPerSecond')} rows/s, PostgreSQL ${pick('e2ePostgresMicrosPerRow').toFixed(2)} µs/row (psql's COPY alone ${pick('postgresMicrosPerRow').toFixed(2)})`);
  const medians = {
    sourceOnlyRowsPerSecond: pick('sourceOnlyRowsPerSecond'), sinkOnlyRowsPerSecond: pick('sinkOnlyRowsPerSecond'), e2eRowsPerSecond: pick('e2eRowsPerSecond'),
    ratio: pick('ratio'), e2eCpuMicrosPerRow: pick('e2eCpuMicrosPerRow'), allProcessesCpuMicrosPerRow: pick('allProcessesCpuMicrosPerRow'), sourceOnlyCpuMicrosPerRow: pick('sourceOnlyCpuMicrosPerRow'),
    encodeMicrosPerRow: encode.microsPerRow, encodedBytesPerRow: encode.bytesPerRow, peakExecutorRssBytes: pick('peakExecutorRssBytes'),
    ...boundOf(pick('e2eRowsPerSecond'), pick('cassandraMicrosPerRow'), pick('postgresMicrosPerRow')),
  };
  const file = writeResults('limits', {
    parameters: { ...s, cassandraNodes, cassandraWarmUpMicrosPerRow: warmUp, machineCores: cpus().length, readPath: lastReport?.readPath ?? null, target: 'local PostgreSQL 127.0.0.1:5432', copyFormat: lastReport?.copyFormat ?? null, copyFile: copyFileOf(lastReport?.copyFormat.format ?? 'text'), copyFileBytes: existsSync(copyFileOf(lastReport?.copyFormat.format ?? 'text')) ? statSync(copyFileOf(lastReport?.copyFormat.format ?? 'text')).size : 0 },
    medians, onExisting, encode, trials, lastReport,
  });
  console.log(`[bench] medians: source-only ${medians.sourceOnlyRowsPerSecond} rows/s, sink-only ${medians.sinkOnlyRowsPerSecond} rows/s, e2e ${medians.e2eRowsPerSecond} rows/s; e2e / min = ${medians.ratio.toFixed(2)}; c2y CPU ${medians.e2eCpuMicrosPerRow.toFixed(2)} µs/row of executors, ${medians.allProcessesCpuMicrosPerRow.toFixed(2)} with the driver process (of which the driver's decode in source-only ${medians.sourceOnlyCpuMicrosPerRow.toFixed(2)}); encode ${medians.encodeMicrosPerRow.toFixed(2)} µs/row`);
  const drawn = await chartResults(file);
  console.log(`[bench] results: ${file}, chart: ${drawn.svg}`);
  console.log(`limits: c2y_us_per_row=${medians.e2eCpuMicrosPerRow.toFixed(2)} e2e_over_bound=${medians.e2eOverBound.toFixed(2)} e2e_over_min=${medians.ratio.toFixed(2)}`);
}
