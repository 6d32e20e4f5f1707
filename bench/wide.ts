/**
 * wide: rows/s, bytes/s and CPU per row for wide rows (types_zoo: collections, UDTs, tuples, vectors) and a
 * 100-column table, beside events, in one run. `npm run bench -- wide [--rows 200000] [--trials 3] [--quick]`.
 * CPU per row is the bar's figure (issue 19: every executor's own CPU over rows; ≤ 5 µs on events, ≤ 15 on types_zoo),
 * with the whole migrator's (driver included, from `time`) beside it, and the cells the reference path wrote.
 * Last line: `wide: events_us_per_row=<a> types_zoo_us_per_row=<b> wide100_us_per_row=<c>`.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { describeTable, openCassandra } from '../src/source/index.js';
import { loadTestData } from '../src/testbed/index.js';
import { SeededRandom } from '../src/testbed/data/seeded-random.js';
import { encodeOnly, endToEnd, ensureBenchDatabase, ensureBenchCassandra, executorsCpu, type Settings } from './limits.js';
import { median, writeResults } from './lib/results-file.js';

const KEYSPACE = 'bench_wide';
const WIDE_COLUMNS = 98;
const COLUMN_TYPES = ['int', 'text', 'double', 'timestamp', 'bigint', 'uuid', 'boolean'] as const;

async function loadWide(rows: number): Promise<void> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  try {
    const columns = Array.from({ length: WIDE_COLUMNS }, (_, i) => `c${i} ${COLUMN_TYPES[i % COLUMN_TYPES.length]}`);
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.wide100 (id int, seq int, ${columns.join(', ')}, PRIMARY KEY ((id), seq))`);
    const insert = `INSERT INTO ${KEYSPACE}.wide100 (id, seq, ${columns.map((c) => c.split(' ')[0]).join(', ')}) VALUES (${Array.from({ length: WIDE_COLUMNS + 2 }, () => '?').join(', ')})`;
    const cassandra = await import('cassandra-driver');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rows) {
        const first = next;
        next += 20;
        const queries = [];
        for (let index = first; index < Math.min(first + 20, rows); index++) {
          const random = new SeededRandom(7, index);
          const values: unknown[] = [Math.floor(index / 20), index % 20];
          for (let c = 0; c < WIDE_COLUMNS; c++) {
            const type = COLUMN_TYPES[c % COLUMN_TYPES.length];
            values.push(type === 'int' ? random.int(-1e9, 1e9) : type === 'text' ? random.words(3) : type === 'double' ? random.float() * 1e6
              : type === 'timestamp' ? new Date(Date.UTC(2020, 0, 1) + random.int(0, 2 ** 30) * 100) : type === 'bigint' ? BigInt(random.int(0, 2 ** 31)) * 4096n
                : type === 'uuid' ? new cassandra.default.types.Uuid(random.bytes(16)) : random.bool());
          }
          queries.push({ query: insert, params: values });
        }
        await client.batch(queries, { prepare: true, logged: false });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await client.shutdown();
  }
}

/**
 * The rows a table of the bench keyspace holds: as marked after its load, else counted (and then marked). A COUNT(*)
 * of 200K wide rows can outlast Cassandra's own read timeout on a busy machine (it failed a run once): tried 3 times.
 */
async function tableRows(table: string): Promise<number> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  try {
    if (!client.metadata.keyspaces[KEYSPACE] || !(await client.metadata.getTable(KEYSPACE, table))) return 0;
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.bench_loaded_tables (name text PRIMARY KEY, rows bigint)`);
    const marked = (await client.execute(`SELECT rows FROM ${KEYSPACE}.bench_loaded_tables WHERE name = ?`, [table], { prepare: true })).first()?.['rows'];
    if (marked !== undefined && marked !== null) return Number(marked);
    for (let attempt = 1; ; attempt++) {
      try {
        const counted = Number((await client.execute(`SELECT COUNT(*) AS n FROM ${KEYSPACE}.${table}`, [], { readTimeout: 300_000 })).first()?.['n'] ?? 0);
        await markTableRows(client, table, counted);
        return counted;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } finally {
    await client.shutdown();
  }
}

/**
 * The loaders write rows 0…n-1, the same values each time: loading fewer rows (--quick) over more leaves the more, so
 * the mark is the largest load, and a --quick run does not make the next full run load everything again.
 */
async function markTableRows(client: Awaited<ReturnType<typeof openCassandra>>, table: string, loaded: number): Promise<void> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.bench_loaded_tables (name text PRIMARY KEY, rows bigint)`);
  const before = (await client.execute(`SELECT rows FROM ${KEYSPACE}.bench_loaded_tables WHERE name = ?`, [table], { prepare: true })).first()?.['rows'];
  const rows = Math.max(loaded, before === undefined || before === null ? 0 : Number(before));
  await client.execute(`INSERT INTO ${KEYSPACE}.bench_loaded_tables (name, rows) VALUES (?, ?)`, [table, BigInt(rows)], { prepare: true });
}

/** Marks what a load wrote, so the next bench run reads the mark instead of counting. */
async function markLoaded(tables: Readonly<Record<string, number>>): Promise<void> {
  const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  try {
    for (const [table, rows] of Object.entries(tables)) await markTableRows(client, table, rows);
  } finally {
    await client.shutdown();
  }
}

const BARS: Readonly<Record<string, number>> = { events: 5, types_zoo: 15 };

export async function wideBench(argv: string[]): Promise<void> {
  // 200K rows: an executor's start-up and warm-up (~0.9 s of CPU) is then ~4.5 µs/row, not 18 as at 50K. One
  // executor of 8 tasks, as limits and peers run c2y: a second would pay them twice.
  const { values } = parseArgs({ args: argv, options: { rows: { type: 'string', default: '200000' }, trials: { type: 'string', default: '3' }, quick: { type: 'boolean', default: false } } });
  const rows = values.quick ? 400 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const cassandraNodes = await ensureBenchCassandra();
  await ensureBenchDatabase();
  const setup = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  await setup.execute(`CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
  await setup.shutdown();
  if ((await tableRows('types_zoo')) !== rows || (await tableRows('events')) !== rows) {
    await loadTestData({ contactPoints: ['127.0.0.1'], keyspace: KEYSPACE, rows, zooRows: rows, seed: 42, concurrency: 64, replicationFactor: 1, log: (line) => console.log(`[bench] ${line}`) });
    await markLoaded({ events: rows, types_zoo: rows });
  }
  if ((await tableRows('wide100')) !== rows) {
    await loadWide(rows);
    await markLoaded({ wide100: rows });
  }

  const results: Record<string, unknown> = {};
  for (const table of ['events', 'types_zoo', 'wide100']) {
    const s: Settings = { rows, trials, parallelism: 8, executors: 1, cores: 8, splitSizeMb: values.quick ? 0.05 : 4 };
    const runs = [];
    for (let trial = 0; trial < trials; trial++) {
      const { report, cpuSeconds } = endToEnd(s, KEYSPACE, table);
      runs.push({
        rowsPerSecond: report.rowsPerSecond, bytesPerSecond: Math.round(report.bytes / report.durationSeconds), bytesPerRow: Math.round(report.bytes / report.rows),
        executorsCpuMicrosPerRow: Math.round(((executorsCpu(report) * 1e6) / report.rows) * 100) / 100, cpuMicrosPerRow: Math.round(((cpuSeconds * 1e6) / report.rows) * 100) / 100,
        referenceCells: report.referenceCells, copyFormat: report.copyFormat.format, rows: report.rows,
      });
    }
    const config = loadConfig({ flags: { 'source.keyspace': KEYSPACE, 'source.table': table, 'source.consistency': 'ONE' } }).config;
    const client = await openCassandra({ contactPoints: ['127.0.0.1'], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
    const described = await describeTable(client, KEYSPACE, table);
    await client.shutdown();
    // --quick (the suite's) encodes 20K rows, not 500K: ~20 s less on types_zoo and wide100, the figure is not its point.
    const encode = await encodeOnly(config, described, Math.min(rows, 20_000), values.quick ? 20_000 : 500_000);
    const summary = {
      columns: described.columns.length,
      rowsPerSecond: median(runs.map((r) => r.rowsPerSecond)), bytesPerSecond: median(runs.map((r) => r.bytesPerSecond)),
      bytesPerRow: median(runs.map((r) => r.bytesPerRow)), executorsCpuMicrosPerRow: median(runs.map((r) => r.executorsCpuMicrosPerRow)),
      cpuMicrosPerRow: median(runs.map((r) => r.cpuMicrosPerRow)), referenceCellsPerRow: median(runs.map((r) => r.referenceCells / r.rows)),
      // The reference path's encoder (driver values → COPY) on sampled rows, for comparison with the raw path above.
      encodeMicrosPerRow: encode.microsPerRow, bar: BARS[table] ?? null, trials: runs,
    };
    results[table] = summary;
    console.log(`[bench] ${table} (${summary.columns} columns): ${summary.rowsPerSecond} rows/s, ${(summary.bytesPerSecond / 1024 / 1024).toFixed(1)} MiB/s, ${summary.bytesPerRow} B/row, c2y CPU ${summary.executorsCpuMicrosPerRow.toFixed(2)} µs/row (executors; ${summary.cpuMicrosPerRow.toFixed(2)} with the driver process), ${summary.referenceCellsPerRow.toFixed(2)} cells/row by reference, reference encoder ${summary.encodeMicrosPerRow.toFixed(2)} µs/row`);
  }
  const file = writeResults('wide', { parameters: { rows, trials, parallelism: 8, executors: 1, cores: 8, cassandraNodes, cpu: 'executors: each executor\'s own process.cpuUsage from the report, summed; withDriver: bash time of the whole migrator' }, results });
  console.log(`[bench] results: ${file}`);
  const figure = (table: string): string => ((results[table] as { executorsCpuMicrosPerRow?: number } | undefined)?.executorsCpuMicrosPerRow ?? NaN).toFixed(2);
  console.log(`wide: events_us_per_row=${figure('events')} types_zoo_us_per_row=${figure('types_zoo')} wide100_us_per_row=${figure('wide100')}`);
}
