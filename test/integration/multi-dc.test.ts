import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { openCassandra, type CassandraClient } from '../../src/source/index.js';
import { MULTI_DC_NODES, startMultiDcCassandra, stopMultiDcCassandra } from '../../src/testbed/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A ring of two data centers (one node each, on loopback): pages must be read in the local one only. */
const ROWS = 4000;
const [DC1, DC2] = MULTI_DC_NODES;
let keyspace: string;
let db: TestDatabase;
const runDir = mkdtempSync(join(tmpdir(), 'multidc-runs-'));

function session(address: string, dc: string): Promise<CassandraClient> {
  return openCassandra({ contactPoints: [address], port: 9042, localDataCenter: dc, consistency: 'LOCAL_ONE', fetchSize: 5000 });
}

/** Range scans and reads this node coordinated for the table (its own node-local virtual tables). */
async function coordinated(address: string, dc: string): Promise<number> {
  const client = await session(address, dc);
  try {
    let total = 0;
    for (const view of ['coordinator_scan_latency', 'coordinator_read_latency']) {
      const result = await client.execute(`SELECT count FROM system_views.${view} WHERE keyspace_name = ? AND table_name = ?`, [keyspace, 'events'], { prepare: false, host: client.hosts.get(`${address}:9042`) });
      total += Number(result.rows[0]?.['count'] ?? 0);
    }
    return total;
  } finally {
    await client.shutdown();
  }
}

/** Both nodes must know the new table before a write at ALL: a fresh DC2 node that has not seen it yet fails the write (seen in CI). */
async function untilSchemaAgrees(client: CassandraClient): Promise<void> {
  // The driver has the method (lib/metadata/index.js) but its typings omit it.
  const metadata = client.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
  const deadline = Date.now() + 60_000;
  while (!(await metadata.checkSchemaAgreement())) {
    if (Date.now() > deadline) throw new Error('the two data centers did not agree on the schema within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A write at ALL, retried a few times: a replica may still be applying the schema when agreement is first reported. */
async function insertEverywhere(client: CassandraClient, values: unknown[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.execute(`INSERT INTO ${keyspace}.events (p, c, v) VALUES (?, ?, ?)`, values, { prepare: true, consistency: cassandra.types.consistencies.all });
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/**
 * The DC1 node knows DC2 once gossip has told it: a DC2 node answering CQL is not enough, and a keyspace naming dc2
 * before then is refused ("Unrecognized strategy option {dc2}", seen in CI).
 */
async function untilDc1KnowsDc2(client: CassandraClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const peers = await client.execute('SELECT data_center FROM system.peers', [], { prepare: false, host: client.hosts.get(`${DC1.address}:9042`) });
    if (peers.rows.some((row) => row['data_center'] === DC2.dc)) return;
    if (Date.now() > deadline) throw new Error(`${DC1.address} never saw a ${DC2.dc} peer in system.peers`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

beforeAll(async () => {
  await startMultiDcCassandra(() => undefined);
  keyspace = uniqueName('multidc');
  const client = await session(DC1.address, DC1.dc);
  try {
    await untilDc1KnowsDc2(client);
    await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', '${DC1.dc}': 1, '${DC2.dc}': 1}`);
    await client.execute(`CREATE TABLE ${keyspace}.events (p int, c int, v text, PRIMARY KEY ((p), c))`);
    await untilSchemaAgrees(client);
    const inserts: Array<Promise<unknown>> = [];
    for (let i = 0; i < ROWS; i++) {
      inserts.push(insertEverywhere(client, [i % 400, i, `row ${i}`]));
      if (inserts.length >= 64) await Promise.all(inserts.splice(0));
    }
    await Promise.all(inserts);
  } finally {
    await client.shutdown();
  }
  db = await createTestDatabase('multidc');
}, 300_000);
afterAll(async () => {
  await db?.close();
  await stopMultiDcCassandra(true);
}, 60_000);

describe('two data centers', () => {
  it('reads every page from replicas in the local data center, with no page retried, and copies exactly', async () => {
    const before = await coordinated(DC2.address, DC2.dc);
    const run = await runC2y([
      'migrate', '--contact-points', `${DC1.address},${DC2.address}`, '--keyspace', keyspace, '--table', 'events', '--set', `source.localDataCenter=${DC1.dc}`,
      '--consistency', 'LOCAL_ONE', '--target-hosts', db.hosts[0] as string, '--database', db.database, '--target-table', 'events_dc',
      '--parallelism', '8', '--split-size-mb', '0.01', '--run-dir', runDir, '--ui-port', '0', '--json',
    ]);
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.rowsTotal).toBe(ROWS);
    expect(report.pageRetries).toBe(0);
    expect(run.stderr).not.toContain('page retry');
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events_dc')).rows[0]?.n).toBe(ROWS);
    expect(await coordinated(DC2.address, DC2.dc)).toBe(before);
    expect(await coordinated(DC1.address, DC1.dc)).toBeGreaterThan(0);
  }, 180_000);
});
