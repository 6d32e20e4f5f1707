/**
 * peers: c2y beside the seed's own architecture (Spark 3.5 local mode + the Spark Cassandra connector +
 * foreachPartition → one JDBC CopyManager.copyIn each, bench/peers/spark) on the same table, machine and run.
 * Each tool's rows/s, peak RSS (of the whole process tree, by /usr/bin/time) and CPU seconds; ratios from the same run.
 * A peer that cannot run here is recorded with its error text, and the others still report.
 * `npm run bench -- peers [--rows 1000000] [--trials 3] [--parallelism 8] [--quick]`
 * 1M rows by default, as the bars are set and as limits and latency load the same keyspace: a different size there is
 * dropped and reloaded by the next scenario (at 200K, each peers run cost the next limits run a 1M-row load).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureBenchDatabase, ensureData, ensureBenchCassandra, settlePostgres, warmCassandra } from './limits.js';
import { chartResults } from './lib/charts.js';
import { median, writeResults } from './lib/results-file.js';

const PEER_DIR = join('bench', 'peers', 'spark');
const DSBULK_DIR = join('bench', 'peers', 'dsbulk');
/** DSBulk's defaults: 8 ranges per core of the machine, as many concurrent queries, and 4 files written at once. */
const DSBULK_FILES = 4;
const DATABASE = 'c2y_bench';
/** Spark 3.5 on JDK 17 needs these opened (Spark's own launcher adds the same list). */
const JDK17_OPENS = ['java.lang', 'java.lang.invoke', 'java.lang.reflect', 'java.io', 'java.net', 'java.nio', 'java.util', 'java.util.concurrent', 'java.util.concurrent.atomic', 'sun.nio.ch', 'sun.nio.cs', 'sun.security.action', 'sun.util.calendar']
  .map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`);

interface Measured { readonly rows: number; readonly seconds: number; readonly rowsPerSecond: number; readonly peakRssBytes: number; readonly cpuSeconds: number }

/** Runs a command under GNU time: wall seconds, peak RSS (largest process of the tree) and user+system CPU. */
function timed(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; seconds: number; peakRssBytes: number; cpuSeconds: number } {
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', 'C2Y_TIME %M %U %S', command, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const match = /C2Y_TIME (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, seconds, peakRssBytes: Number(match?.[1] ?? 0) * 1024, cpuSeconds: Number(match?.[2] ?? 0) + Number(match?.[3] ?? 0) };
}

async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DATABASE });
  await client.connect();
  await client.query(statement);
  await client.end();
}

async function countRows(table: string): Promise<number> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DATABASE });
  await client.connect();
  const result = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  await client.end();
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * c2y as one process of `parallelism` tasks, the shape of both peers (Spark's local[parallelism] is one JVM of that
 * many task threads, DSBulk one JVM): a second executor only adds its start-up and warm-up, ~0.9 s of CPU on this
 * 2-core machine (1M rows: 2.67-3.13 us/row of executors' CPU with one, 3.64-3.68 with two; 2026-12-03).
 */
function runC2y(parallelism: number, splitSizeMb: number): Measured {
  const run = timed('node', ['bin/c2y.js', 'migrate', '--keyspace', 'bench_limits', '--table', 'events', '--consistency', 'ONE', '--split-size-mb', String(splitSizeMb),
    '--target-hosts', '127.0.0.1:5432', '--database', DATABASE, '--target-table', 'events_c2y', '--parallelism', String(parallelism), '--executors', '1',
    '--cores', String(parallelism), '--restart', '--json', '--ui-port', '0', '--run-dir', '/tmp/c2y-bench-runs']);
  if (run.status !== 0) throw new Error(`c2y failed: ${run.stderr.slice(-1500)}`);
  const report = JSON.parse(run.stdout) as { rows: number };
  return { rows: report.rows, seconds: run.seconds, rowsPerSecond: report.rows / run.seconds, peakRssBytes: run.peakRssBytes, cpuSeconds: run.cpuSeconds };
}

/** A peer's jar and its dependencies, built by Maven, as a java classpath. */
type PeerBuild = { readonly classpath: string } | { readonly error: string };

/** Every file a peer's build reads (pom.xml and src/), in a stable order. */
function buildInputs(dir: string): string[] {
  const walk = (path: string): string[] => statSync(path).isDirectory() ? readdirSync(path).sort().flatMap((name) => walk(join(path, name))) : [path];
  return [join(dir, 'pom.xml'), ...walk(join(dir, 'src'))];
}

/**
 * Builds a peer with Maven once per content of its pom and sources, kept in ~/.cache/c2y/bench-peers/<name>-<hash>
 * (a fresh clone reuses it; an edited peer is built anew, where a jar left in target/ would have been run stale).
 */
function buildPeer(dir: string, jar: string, what: string): PeerBuild {
  const hash = createHash('sha256');
  for (const file of buildInputs(dir)) hash.update(file).update(readFileSync(file));
  const cached = join(homedir(), '.cache', 'c2y', 'bench-peers', `${basename(dir)}-${hash.digest('hex').slice(0, 16)}`);
  const classpath = `${join(cached, jar)}:${join(cached, 'lib', '*')}`;
  if (existsSync(join(cached, jar))) return { classpath };
  console.log(`[bench] building ${what} with Maven (once per change of its sources)`);
  const build = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) return { error: `mvn package failed: ${(build.stdout + build.stderr).slice(-1500)}` };
  // Copied whole, then renamed: an interrupted copy never looks like a build.
  const partial = `${cached}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  cpSync(join(dir, 'target', jar), join(partial, jar));
  cpSync(join(dir, 'target', 'lib'), join(partial, 'lib'), { recursive: true });
  rmSync(cached, { recursive: true, force: true });
  renameSync(partial, cached);
  return { classpath };
}

const buildSparkPeer = (): PeerBuild => buildPeer(PEER_DIR, 'spark-peer-1.jar', 'the Spark peer');
const buildDsbulkPeer = (): PeerBuild => buildPeer(DSBULK_DIR, 'dsbulk-architecture-peer-1.jar', "the DSBulk-architecture peer");

/**
 * DSBulk's architecture end to end: unload (driver 4, parallel token ranges, async paging, CSV files), then one
 * psql \copy per file, all at once. Time, CPU and peak RSS are both phases'.
 */
async function runDsbulk(classpath: string, parallelism: number): Promise<Measured> {
  await sql('DROP TABLE IF EXISTS public.events_dsbulk; CREATE TABLE public.events_dsbulk (LIKE public.events_c2y INCLUDING ALL)');
  const outDir = '/tmp/c2y-bench-dsbulk';
  spawnSync('rm', ['-rf', outDir]);
  const ranges = 8 * Math.max(1, parallelism);
  const unload = timed('java', ['-Xmx1g', '-cp', classpath, 'c2y.peer.DsbulkArchitecturePeer', '127.0.0.1', 'bench_limits', 'events', outDir, String(ranges), String(parallelism), String(DSBULK_FILES)]);
  const columns = /columns=(\S+)/.exec(unload.stdout)?.[1];
  if (unload.status !== 0 || columns === undefined) throw new Error(`DSBulk-architecture unload failed: ${unload.stderr.split('\n').filter((l) => /Exception|Error/.test(l)).slice(0, 5).join(' | ').slice(0, 1500)}`);
  const copies = Array.from({ length: DSBULK_FILES }, (_, i) => `psql -h 127.0.0.1 -U postgres -d ${DATABASE} -v ON_ERROR_STOP=1 -q -c "\\copy public.events_dsbulk (${columns}) FROM '${outDir}/part-${i}.csv' CSV" &`).join(' ');
  const load = timed('bash', ['-c', `${copies} wait`]);
  if (load.status !== 0) throw new Error(`DSBulk-architecture load failed: ${load.stderr.slice(-1000)}`);
  const rows = await countRows('public.events_dsbulk');
  const seconds = unload.seconds + load.seconds;
  return { rows, seconds, rowsPerSecond: rows / seconds, peakRssBytes: Math.max(unload.peakRssBytes, load.peakRssBytes), cpuSeconds: unload.cpuSeconds + load.cpuSeconds };
}

async function runSpark(classpath: string, parallelism: number, splitSizeMb: number): Promise<Measured> {
  await sql('DROP TABLE IF EXISTS public.events_spark; CREATE TABLE public.events_spark (LIKE public.events_c2y INCLUDING ALL)');
  const run = timed('java', [...JDK17_OPENS, '-Xmx2g', '-cp', classpath, 'c2y.peer.SparkCopyPeer', '127.0.0.1', 'bench_limits', 'events',
    `jdbc:postgresql://127.0.0.1:5432/${DATABASE}?user=postgres`, 'public.events_spark', String(parallelism), String(splitSizeMb)]);
  if (run.status !== 0) throw new Error(`spark peer failed: ${run.stderr.split('\n').filter((l) => /Exception|Error/.test(l)).slice(0, 5).join(' | ').slice(0, 1500)}`);
  const rows = await countRows('public.events_spark');
  return { rows, seconds: run.seconds, rowsPerSecond: rows / run.seconds, peakRssBytes: run.peakRssBytes, cpuSeconds: run.cpuSeconds };
}

export async function peersBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '1000000' }, trials: { type: 'string', default: '3' }, parallelism: { type: 'string', default: '8' }, quick: { type: 'boolean', default: false },
  } });
  const rows = values.quick ? 10_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const parallelism = Number(values.parallelism);
  // Whole MiB, as the connector's split.sizeInMB takes an integer: both tools get the same value.
  const splitSizeMb = Math.max(1, Math.floor((rows * 320) / 1024 / 1024 / parallelism));
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows, undefined, values.quick);
  await ensureBenchDatabase();
  // c2y runs each trial first: on a Cassandra still compiling its read path, its first trial would pay for that alone.
  const warmUp = values.quick ? [] : await warmCassandra();
  const c2y: Measured[] = [];
  const spark: Measured[] = [];
  const sparkBuild = buildSparkPeer();
  let sparkError = 'error' in sparkBuild ? sparkBuild.error : undefined;
  const dsbulk: Measured[] = [];
  const dsbulkBuild = buildDsbulkPeer();
  let dsbulkError = 'error' in dsbulkBuild ? dsbulkBuild.error : undefined;
  for (let trial = 0; trial < trials; trial++) {
    // Each tool starts on a PostgreSQL at rest: the tool before it leaves a vacuum and a checkpoint behind.
    settlePostgres();
    c2y.push(runC2y(parallelism, splitSizeMb));
    console.log(`[bench] c2y trial ${trial + 1}: ${Math.round(c2y.at(-1)?.rowsPerSecond ?? 0)} rows/s`);
    if (!dsbulkError && 'classpath' in dsbulkBuild) {
      try {
        settlePostgres();
        dsbulk.push(await runDsbulk(dsbulkBuild.classpath, parallelism));
        console.log(`[bench] DSBulk-architecture peer trial ${trial + 1}: ${Math.round(dsbulk.at(-1)?.rowsPerSecond ?? 0)} rows/s, ${dsbulk.at(-1)?.rows} rows`);
      } catch (error) {
        dsbulkError = (error as Error).message;
      }
    }
    if (sparkError || !('classpath' in sparkBuild)) continue;
    try {
      settlePostgres();
      spark.push(await runSpark(sparkBuild.classpath, parallelism, splitSizeMb));
      console.log(`[bench] spark peer trial ${trial + 1}: ${Math.round(spark.at(-1)?.rowsPerSecond ?? 0)} rows/s, ${spark.at(-1)?.rows} rows`);
    } catch (error) {
      sparkError = (error as Error).message;
    }
  }
  const summary = (runs: Measured[]) => runs.length === 0 ? null : {
    rowsPerSecond: Math.round(median(runs.map((r) => r.rowsPerSecond))), peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    cpuSeconds: Math.round(median(runs.map((r) => r.cpuSeconds)) * 100) / 100, rows: runs.map((r) => r.rows),
  };
  const c2ySummary = summary(c2y);
  const sparkSummary = summary(spark);
  const dsbulkSummary = summary(dsbulk);
  const file = writeResults('peers', {
    parameters: { rows, trials, parallelism, splitSizeMb, cassandraWarmUpMicrosPerRow: warmUp, c2yConcurrency: `1 executor x ${parallelism} cores`, source: `bench_limits.events (RF 1) on ${cassandraNodes} Cassandra node(s)`, target: 'machine PostgreSQL 127.0.0.1:5432' },
    c2y: { trials: c2y, median: c2ySummary },
    sparkPeer: sparkError ? { error: sparkError, trials: spark } : { trials: spark, median: sparkSummary },
    dsbulkArchitecturePeer: dsbulkError ? { error: dsbulkError, trials: dsbulk } : {
      note: "DSBulk's architecture rebuilt on the DataStax Java driver 4 (bench/peers/dsbulk): DSBulk's distribution is not on Maven Central",
      trials: dsbulk, median: dsbulkSummary,
    },
    ratios: {
      c2yOverSparkPeer: c2ySummary && sparkSummary ? Math.round((c2ySummary.rowsPerSecond / sparkSummary.rowsPerSecond) * 100) / 100 : null,
      c2yOverDsbulkArchitecture: c2ySummary && dsbulkSummary ? Math.round((c2ySummary.rowsPerSecond / dsbulkSummary.rowsPerSecond) * 100) / 100 : null,
    },
  });
  const drawn = await chartResults(file);
  console.log(`[bench] c2y ${c2ySummary?.rowsPerSecond} rows/s, spark peer ${sparkSummary?.rowsPerSecond ?? sparkError}, DSBulk-architecture peer ${dsbulkSummary?.rowsPerSecond ?? dsbulkError} → ${file}, ${drawn.svg}`);
}
