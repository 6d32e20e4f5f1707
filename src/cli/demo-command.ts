import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { runViews } from './run-views.js';
import { loadConfig } from '../config/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { renderReport } from '../observe/index.js';
import { migrate } from '../workflow/index.js';
// After the workflow (and so the sink, which sets up pg's import: see sink/node-navigator.ts).
import pg from 'pg';
import { openCassandra } from '../source/index.js';
import { cassandraStatus, loadTestData, startCassandra } from '../testbed/index.js';

const say = (line: string): void => {
  process.stdout.write(`demo: ${line}\n`);
};

async function ensureDatabase(host: string, port: number, database: string): Promise<void> {
  const admin = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
  try {
    await admin.connect();
  } catch (error) {
    throw new C2yError('TARGET_UNREACHABLE', `the local PostgreSQL at ${host}:${port} does not answer: ${messageOf(error)}`, {
      hint: 'start it (pg_ctlcluster 15 main start) or pass --pg-port for another one',
    });
  }
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rows.length === 0) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
}

async function existingRows(contactPoints: string[], keyspace: string): Promise<number> {
  const client = await openCassandra({ contactPoints, port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000 });
  try {
    if (!client.metadata.keyspaces[keyspace] || !(await client.metadata.getTable(keyspace, 'events'))) return 0;
    const result = await client.execute(`SELECT COUNT(*) AS n FROM "${keyspace}".events`, [], { readTimeout: 120_000 });
    return Number(result.first()?.['n'] ?? 0);
  } finally {
    await client.shutdown();
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(summaryOf('demo'))
    .option('--rows <n>', 'events rows to load', '100000')
    .option('--keyspace <name>', 'demo keyspace', 'c2y_demo')
    .option('--pg-port <port>', 'local PostgreSQL port', '5432')
    .option('--database <name>', 'target database (created if missing)', 'c2y_demo')
    .action(async (options: { rows: string; keyspace: string; pgPort: string; database: string }) => {
      const rows = Number(options.rows);
      const running = (await cassandraStatus(3)).filter((node) => node.pid !== undefined && node.cqlOpen);
      let contactPoints: string[];
      if (running.length > 0) {
        contactPoints = running.map((node) => node.address);
        say(`reusing the running test ring: ${contactPoints.join(', ')}`);
      } else {
        const started = await startCassandra({ nodes: 1, log: say });
        say(`Cassandra ${started.started.length ? 'started' : 'ready'} in ${started.seconds.toFixed(1)} s`);
        contactPoints = ['127.0.0.1'];
      }
      const present = await existingRows(contactPoints, options.keyspace);
      if (present === rows) say(`${options.keyspace}.events already holds ${rows.toLocaleString('en-US')} rows; not loading again`);
      else {
        const loaded = await loadTestData({ contactPoints, keyspace: options.keyspace, rows, zooRows: 200, seed: 42, log: say });
        say(`loaded ${rows.toLocaleString('en-US')} events rows in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.rowsPerSecond).toLocaleString('en-US')} rows/s)`);
      }
      await ensureDatabase('127.0.0.1', Number(options.pgPort), options.database);
      const loadedConfig = loadConfig({
        flags: {
          'source.contactPoints': contactPoints.join(','), 'source.keyspace': options.keyspace, 'source.table': 'events',
          'source.consistency': running.length > 1 ? 'LOCAL_QUORUM' : 'ONE',
          'target.hosts': `127.0.0.1:${options.pgPort}`, 'target.database': options.database,
          parallelism: '8', executors: '2', cores: '4', 'source.splitSizeMb': '2',
        },
      });
      say(`migrating ${options.keyspace}.events → ${options.database}.public.events (127.0.0.1:${options.pgPort})`);
      const { report, runFolder } = await migrate({
        loaded: loadedConfig, resume: false, restart: true, resumeCommand: (runId) => `c2y migrate … --resume ${runId}`,
        jsonLog: process.stderr.isTTY !== true, signal: new AbortController().signal, watch: runViews({ tty: process.stderr.isTTY === true }),
      });
      process.stdout.write(`\n${renderReport(report)}\nreport       ${runFolder}/report.json\n`);
      const check = new pg.Client({ host: '127.0.0.1', port: Number(options.pgPort), user: 'postgres', database: options.database });
      await check.connect();
      const count = await check.query<{ n: string }>('SELECT count(*) AS n FROM public.events');
      await check.end();
      say(`PostgreSQL now holds ${Number(count.rows[0]?.n).toLocaleString('en-US')} rows in public.events (source: ${rows.toLocaleString('en-US')})`);
      if (report.status !== 'finished' || Number(count.rows[0]?.n) !== rows) {
        throw new C2yError('SPLITS_FAILED', `the demo migration did not finish cleanly (status ${report.status})`, { hint: `see ${runFolder}/run.log` });
      }
    });
}
