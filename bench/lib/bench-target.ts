import pg from 'pg';
import { postgresRunning, startPostgres, testbedPgPort } from '../../src/testbed/index.js';

/** The test bed's PostgreSQL (started if it is not running) with `database` in it; its port. */
export async function ensureTestbedDatabase(database: string): Promise<number> {
  if (!postgresRunning()) startPostgres((line) => console.log(`[bench] ${line}`));
  const port = testbedPgPort();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rows.length === 0) await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  return port;
}
