import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestData } from '../../src/testbed/index.js';
import { cassandraEventsDigest, type TableDigest } from './events-digest.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from './servers.js';

export interface MigrateFixture {
  readonly keyspace: string;
  readonly rows: number;
  readonly db: TestDatabase;
  readonly runDir: string;
  readonly sourceDigest: TableDigest;
  /** `c2y migrate` arguments for this fixture's `sourceTable` (events unless told) into `targetTable`, plus extras. */
  args(targetTable: string, extra?: readonly string[], sourceTable?: string): string[];
  /** Rows in public.`table` of the fixture's database now. */
  rowsIn(table: string): Promise<number>;
  close(): Promise<void>;
}

/** A keyspace (RF 3 on the ring) with `rows` events, and a fresh database reached through three addresses. */
export async function migrateFixture(rows: number, prefix: string): Promise<MigrateFixture> {
  const keyspace = uniqueName(prefix);
  await loadTestData({ contactPoints: [...RING], keyspace, rows, zooRows: 0, seed: 11, log: () => undefined });
  const client = await cassandraClient();
  const sourceDigest = await cassandraEventsDigest(client, keyspace);
  await client.shutdown();
  const db = await createTestDatabase(prefix);
  const runDir = mkdtempSync(join(tmpdir(), `${prefix}-runs-`));
  return {
    keyspace, rows, db, runDir, sourceDigest,
    args: (targetTable, extra = [], sourceTable = 'events') => [
      'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', sourceTable,
      '--target-hosts', db.hosts.join(','), '--database', db.database, '--target-table', targetTable, '--run-dir', runDir, ...extra,
    ],
    rowsIn: async (table) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`)).rows[0]?.n ?? 0,
    close: () => db.close(),
  };
}
