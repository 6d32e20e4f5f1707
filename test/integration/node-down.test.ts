import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { killCassandraNode, loadTestData, startCassandra } from '../../src/testbed/index.js';
import { cassandraEventsDigest, postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { committedRows, until } from '../helpers/wait.js';
import { runC2y, spawnC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, uniqueName } from '../helpers/servers.js';

let fx: MigrateFixture;
const ROWS = 40_000;
// Paced at 10,000 rows/s (≥ 4 s a run): the node dies mid-run however fast the machine moves rows.
const RUN = ['--split-size-mb', '0.1', '--parallelism', '12', '--executors', '2', '--cores', '2', '--copy-flush-every', '300', '--ui-port', '0', '--set', 'target.rowsPerSecond=10000'];

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'node');
}, 180_000);
afterAll(async () => {
  // The ring is shared by the whole suite: bring every node back.
  await startCassandra({ nodes: 3, log: () => undefined });
  await fx?.close();
}, 180_000);



describe('a Cassandra node dies mid-run', () => {
  it('RF 3 at LOCAL_QUORUM (the default): the run finishes from the remaining replicas, exact', async () => {
    const run = spawnC2y(fx.args('rf3', [...RUN, '--json']));
    await until('rows committed', async () => (await committedRows(fx.db, 'rf3')) > 0);
    killCassandraNode(3);
    const result = await run.result;
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS });
    expect(await postgresEventsDigest(fx.db, 'rf3')).toEqual(fx.sourceDigest);
    await startCassandra({ nodes: 3, log: () => undefined });
  }, 240_000);

  it('RF 1, the owning node down: its splits fail naming token range and node, the rest finish, --resume after it is back is exact', async () => {
    const keyspace = uniqueName('rf1');
    await loadTestData({ contactPoints: [...RING], keyspace, rows: ROWS, zooRows: 0, seed: 11, replicationFactor: 1, log: () => undefined });
    const client = await cassandraClient();
    const sourceDigest = await cassandraEventsDigest(client, keyspace);
    await client.shutdown();
    // Small pages, so a split is still being read when the node dies; node 1 owns the last splits in token order,
    // which have not started when the first rows commit.
    const args = fx.args('rf1', [...RUN, '--json', '--set', 'maxRetries=1', '--set', 'retryBackoffMs=200', '--set', 'source.fetchSize=500']).map((arg) => (arg === fx.keyspace ? keyspace : arg));
    const run = spawnC2y(args);
    await until('rows committed', async () => (await committedRows(fx.db, 'rf1')) > 0);
    killCassandraNode(1);
    const result = await run.result;
    expect(result.code).toBe(5);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.status).toBe('failed');
    expect(report.splits.failed.length).toBeGreaterThan(0);
    expect(report.splits.done).toBeGreaterThan(0);
    for (const failure of report.splits.failed) {
      expect(failure.code).toBe('SOURCE_READ_FAILED');
      expect(failure.message).toMatch(/reading tokens \]-?\d+, -?\d+\] from replicas 127\.0\.0\.1:9042 failed/);
    }
    expect(result.stderr).toContain('SPLITS_FAILED');
    expect(result.stderr).toContain('--resume');

    await startCassandra({ nodes: 3, log: () => undefined });
    const resumed = await runC2y([...args.filter((arg) => arg !== '--json'), '--resume', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'finished', resumed: true, rowsTotal: ROWS });
    expect(await postgresEventsDigest(fx.db, 'rf1')).toEqual(sourceDigest);
  }, 300_000);
});
