import pg from 'pg';
import { openCassandra, type CassandraClient } from '../../src/source/index.js';
import { testbedPgPort, TESTBED_PG_ADDRESSES } from '../../src/testbed/index.js';

export const RING = ['127.0.0.1', '127.0.0.2', '127.0.0.3'] as const;

/** A name no other test uses: tests share one ring and one server. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`.toLowerCase();
}

export function cassandraClient(keyspace?: string): Promise<CassandraClient> {
  return openCassandra({
    contactPoints: [...RING], port: 9042, localDataCenter: 'datacenter1', consistency: 'QUORUM', fetchSize: 5000,
    ...(keyspace ? { keyspace } : {}),
  });
}

export interface TestDatabase {
  readonly database: string;
  readonly port: number;
  readonly hosts: readonly string[];
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  close(): Promise<void>;
}

/** A fresh database on the test bed's PostgreSQL, reachable through all three addresses. */
export async function createTestDatabase(prefix = 'c2y_test'): Promise<TestDatabase> {
  const port = testbedPgPort();
  const database = uniqueName(prefix);
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  // A pool, not one client: a test that restarts the server gets fresh connections afterwards, not a dead one.
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database, max: 2 });
  pool.on('error', () => undefined);
  return {
    database, port, hosts: TESTBED_PG_ADDRESSES.map((address) => `${address}:${port}`),
    query: (sql, params) => pool.query(sql, params),
    close: () => pool.end(),
  };
}
