import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { describeTable, type CassandraClient } from '../../src/source/index.js';
import { loadTestData } from '../../src/testbed/index.js';
import { canonicalColumn } from '../../src/digest/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

const ROWS = 80;
/** A new seed each run, printed: random rows of every type beside the fixed edge rows (all nulls, minimums, maximums, empties). */
const SEED = Number(process.env.C2Y_ZOO_SEED ?? Math.floor(Math.random() * 1_000_000));

let keyspace: string;
let db: TestDatabase;
let client: CassandraClient;
let runDir: string;

beforeAll(async () => {
  console.log(`types round trip: seed ${SEED} (set C2Y_ZOO_SEED to repeat)`);
  keyspace = uniqueName('roundtrip');
  await loadTestData({ contactPoints: [...RING], keyspace, rows: 0, zooRows: ROWS, seed: SEED, log: () => undefined });
  client = await cassandraClient(keyspace);
  db = await createTestDatabase('roundtrip');
  runDir = mkdtempSync(join(tmpdir(), 'roundtrip-runs-'));
});
afterAll(async () => {
  await client?.shutdown();
  await db?.close();
});

async function migrate(table: string): Promise<RunReport> {
  const run = await runC2y(['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', table, '--target-hosts', db.hosts.join(','),
    '--database', db.database, '--run-dir', runDir, '--split-size-mb', '0.01', '--parallelism', '3', '--json']);
  expect(run.stderr).not.toMatch(/unexpected|VALUE_UNREPRESENTABLE/);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as RunReport;
}

/** Every column of every row: canonical text from Cassandra's value vs from PostgreSQL's, computed apart. */
async function differences(table: string, keyColumns: string[]): Promise<{ compared: number; diffs: string[] }> {
  const source = await describeTable(client, keyspace, table);
  const columns = source.columns.map((column) => ({ name: column.name, canonical: canonicalColumn(column.name, column.type) }));
  const pg = await db.query(`SELECT ${keyColumns.map((k) => `"${k}"::text AS "k_${k}"`).join(', ')}, ${columns.map((c, i) => `${c.canonical.sql} AS c${i}`).join(', ')} FROM public."${table}"`);
  const byKey = new Map(pg.rows.map((row) => [keyColumns.map((k) => row[`k_${k}`]).join('/'), row]));
  const cassandraRows = (await client.execute(`SELECT * FROM "${table}"`, [], { fetchSize: 1000 })).rows;
  expect(pg.rows).toHaveLength(cassandraRows.length);
  const diffs: string[] = [];
  let compared = 0;
  for (const row of cassandraRows) {
    const key = keyColumns.map((k) => String(row[k])).join('/');
    const target = byKey.get(key);
    if (!target) {
      diffs.push(`${key}: missing in PostgreSQL`);
      continue;
    }
    columns.forEach((column, index) => {
      const want = column.canonical.fromCassandra(row[column.name]);
      const got = column.canonical.fromPostgres(target[`c${index}`] as string | null);
      compared++;
      if (want !== got) diffs.push(`${key} ${column.name}: cassandra ${want.slice(0, 150)} | postgres ${got.slice(0, 150)}`);
    });
  }
  return { compared, diffs };
}

describe('every CQL type survives the trip into PostgreSQL', () => {
  it('types_zoo: 34 columns × edge and random rows, 0 differences in canonical form', async () => {
    const report = await migrate('types_zoo');
    expect(report).toMatchObject({ status: 'finished', rows: ROWS, rejects: 0 });
    const { compared, diffs } = await differences('types_zoo', ['id', 'seq']);
    expect(diffs).toEqual([]);
    expect(compared).toBe(ROWS * 34);
  });

  it('counters arrive as bigint with their exact value', async () => {
    const report = await migrate('types_zoo_counters');
    expect(report.rows).toBe(ROWS);
    const { compared, diffs } = await differences('types_zoo_counters', ['id']);
    expect(diffs).toEqual([]);
    expect(compared).toBe(ROWS * 2);
  });
});
