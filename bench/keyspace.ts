/**
 * keyspace: one keyspace (a big events table and many small ones, as applications have) migrated in one
 * `c2y migrate --keyspace` run, against the same tables migrated one after another with `--table` (the shell loop a
 * user writes without it), same settings, wall-clock time of each command. The one run shares its executors and
 * streams: the small tables fill the gaps while the big one runs, instead of each paying a run's start and its own
 * tail. `npm run bench -- keyspace [--rows 200000] [--small 12] [--small-rows 2000] [--trials 3] [--quick]`
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openCassandra } from '../src/source/index.js';
import { ensureBenchCassandra, ensureData } from './limits.js';
import { median, writeResults } from './lib/results-file.js';
import { ensureTestbedDatabase } from './lib/bench-target.js';

const KEYSPACE = 'bench_keyspace';
const DATABASE = 'c2y_bench_keyspace';
const C2Y = 'bin/c2y.js';


/** `count` small tables of `rows` rows each beside the events table, loaded once (a table holding `rows` is kept). */
async function ensureSmallTables(count: number, rows: number): Promise<string[]> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  const names = Array.from({ length: count }, (_, i) => `small_${String(i).padStart(2, '0')}`);
  try {
    for (const name of names) {
      await client.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.${name} (id int PRIMARY KEY, label text, amount double, at timestamp)`);
      const present = Number((await client.execute(`SELECT COUNT(*) AS n FROM ${KEYSPACE}.${name}`)).first()?.['n'] ?? 0);
      if (present === rows) continue;
      await client.execute(`TRUNCATE ${KEYSPACE}.${name}`);
      for (let i = 0; i < rows; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, rows - i) }, (_, j) => client.execute(
          `INSERT INTO ${KEYSPACE}.${name} (id, label, amount, at) VALUES (?, ?, ?, ?)`, [i + j, `row ${i + j} of ${name}`, (i + j) * 1.5, new Date(1_700_000_000_000 + (i + j) * 1000)], { prepare: true },
        )));
      }
    }
    const tables = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [KEYSPACE], { prepare: true });
    return tables.rows.map((row) => String(row['table_name'])).sort();
  } finally {
    await client.shutdown();
  }
}

/** One `c2y migrate` (starting over), timed from spawn to exit, as a user's shell would see it. */
async function timedMigrate(port: number, extra: readonly string[]): Promise<{ seconds: number; rows: number }> {
  const targets = ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => `${a}:${port}`).join(',');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [C2Y, 'migrate', '--keyspace', KEYSPACE, ...extra, '--consistency', 'ONE', '--target-hosts', targets, '--database', DATABASE,
    '--restart', '--json', '--ui-port', '0', '--run-dir', '/tmp/c2y-bench-runs'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`c2y migrate ${extra.join(' ')} failed (${code}): ${stderr.slice(-1500)}`);
  return { seconds, rows: (JSON.parse(stdout) as { rowsTotal: number }).rowsTotal };
}

export async function keyspaceBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '200000' }, small: { type: 'string', default: '12' }, 'small-rows': { type: 'string', default: '2000' },
    trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false },
  } });
  const rows = values.quick ? 20_000 : Number(values.rows);
  const smallCount = values.quick ? 6 : Number(values.small);
  const smallRows = values.quick ? 500 : Number(values['small-rows']);
  const trials = values.quick ? 1 : Number(values.trials);
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows, KEYSPACE, values.quick);
  const tables = await ensureSmallTables(smallCount, smallRows);
  const port = await ensureTestbedDatabase(DATABASE);
  const results: Array<{ trial: number; oneRunSeconds: number; perTableSeconds: Record<string, number>; perTableSumSeconds: number; rows: number }> = [];
  for (let trial = 1; trial <= trials; trial++) {
    const one = await timedMigrate(port, []);
    const perTable: Record<string, number> = {};
    let rowsByTable = 0;
    for (const table of tables) {
      const run = await timedMigrate(port, ['--table', table]);
      perTable[table] = Math.round(run.seconds * 100) / 100;
      rowsByTable += run.rows;
    }
    if (rowsByTable !== one.rows) throw new Error(`the one run moved ${one.rows} rows, the per-table runs ${rowsByTable}`);
    const sum = Object.values(perTable).reduce((a, b) => a + b, 0);
    results.push({ trial, oneRunSeconds: Math.round(one.seconds * 100) / 100, perTableSeconds: perTable, perTableSumSeconds: Math.round(sum * 100) / 100, rows: one.rows });
    console.log(`[bench] trial ${trial}: one run ${one.seconds.toFixed(1)} s, ${tables.length} per-table runs ${sum.toFixed(1)} s in all (${one.rows} rows)`);
  }
  const oneRun = median(results.map((r) => r.oneRunSeconds));
  const perTableSum = median(results.map((r) => r.perTableSumSeconds));
  const ratio = Math.round((oneRun / perTableSum) * 100) / 100;
  const file = writeResults('keyspace', {
    parameters: { rows, smallTables: smallCount, smallRows, trials, tables, cassandraNodes, source: `${KEYSPACE} (RF 1): events ${rows} rows, ${smallCount} tables of ${smallRows} rows, and the loader's own tables`, target: `test bed PostgreSQL, port ${port}`, settings: 'defaults, --consistency ONE, --restart each time' },
    results, medians: { oneRunSeconds: oneRun, perTableSumSeconds: perTableSum, ratio },
    bar: { required: 0.7, measured: ratio },
  });
  console.log(`[bench] one run ${oneRun} s vs ${perTableSum} s table after table (median of ${trials}) → ${file}`);
  console.log(`keyspace: one_run_s=${oneRun} per_table_sum_s=${perTableSum} ratio=${ratio}`);
}
