import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { TcpProxy, testbedPgPort } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING } from '../helpers/servers.js';

let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(3000, 'plan');
});
afterAll(async () => fx?.close());

/**
 * A migration of the fixture's events into `table` with every Cassandra node and the target behind a proxy that holds
 * each chunk the given time each way (8 splits, 1 executor × 2 cores); `check` reads its report, then the copy is
 * compared with the source.
 */
async function migrateOverWan(table: string, delays: { sourceOneWayMs: number; targetOneWayMs: number }, check: (report: RunReport) => void): Promise<void> {
  const nodes = RING.map((host) => new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: host, targetPort: 9042 }));
  const target = new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: testbedPgPort() });
  for (const proxy of [...nodes, target]) {
    await proxy.start();
    proxy.oneWayDelayMs = proxy === target ? delays.targetOneWayMs : delays.sourceOneWayMs;
  }
  try {
    const addressMap = RING.map((host, i) => `${host}:9042=${nodes[i]?.address ?? ''}`).join(',');
    const args = fx.args(table).map((arg, i, all) => (all[i - 1] === '--target-hosts' ? target.address : arg));
    const run = await runC2y([...args, '--parallelism', '8', '--executors', '1', '--cores', '2', '--split-size-mb', '0.05', '--ui-port', '0', '--set', `source.addressMap=${addressMap}`, '--json']);
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    check(JSON.parse(run.stdout) as RunReport);
    expect(await postgresEventsDigest(fx.db, table)).toEqual(fx.sourceDigest);
  } finally {
    for (const proxy of [...nodes, target]) await proxy.close();
  }
}

const planArgs = (extra: string[]): string[] => fx.args('events').map((arg) => (arg === 'migrate' ? 'plan' : arg)).filter((arg, i, all) => arg !== '--run-dir' && all[i - 1] !== '--run-dir').concat(extra);

describe('c2y plan', () => {
  it('measures the table and the network and prints every term of the memory model', async () => {
    const run = await runC2y(planArgs(['--parallelism', '16', '--executors', '4', '--cores', '4', '--split-size-mb', '0.05', '--target-rate', '20000', '--json']));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as Record<string, any>;
    expect(plan['rows']).toBe(3000);
    expect(plan['encodedRowBytes']).toBeGreaterThan(150);
    expect(plan['partitions']).toMatchObject({ requested: 16 });
    expect(plan['partitionsPerExecutor']).toBe(Math.ceil(plan['partitions'].effective / 4));
    const terms = plan['memoryPerTask'];
    expect(terms.total).toBe(terms.encodeBufferBytes + terms.pageBytes + terms.connectionBytes);
    expect(plan['requiredExecutorBytes']).toBeCloseTo(plan['concurrentTasksPerExecutor'] * terms.total * 1.5, 0);
    expect(Object.keys(plan['targetRttMs'])).toHaveLength(3);
    expect(Object.keys(plan['sourceRttMs'])).toHaveLength(3);
    expect(plan['targetMaxConnections']).toBeGreaterThan(0);
    expect(plan['streamsForTargetRate']).toBeGreaterThan(0);
  });

  it('warns about too little executor memory, and refuses under the floor naming the knobs', async () => {
    // 1 MiB: the fixed terms alone (encode buffer + connection, × 1.5) put headroom under 0.25, whatever is measured.
    const tight = await runC2y(planArgs(['--executor-memory', '1m', '--cores', '8', '--parallelism', '16', '--split-size-mb', '0.05']));
    expect(tight.stdout).toMatch(/WARNING\s+executor memory headroom 0\.\d+ < 1\.0/);
    expect(tight.code).toBe(2);
    expect(tight.stderr).toContain('fewer cores per executor, more executors, a smaller copyBufferBytes, or more executorMemory');
  });

  it('migrate with too little executor memory: refused before anything is recorded; run anyway, it stops naming the knobs, not with a V8 trace', async () => {
    // Pages shrink with the memory (copyBufferBytes), but the encode buffer and connection alone put 3 MiB under 0.5.
    const tight = ['--executor-memory', '3m', '--cores', '2', '--executors', '1', '--split-size-mb', '0.05'];
    const refused = await runC2y(fx.args('tight', tight));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('MEMORY_PLAN_REFUSED');
    expect(refused.stderr).toContain('fewer cores per executor, more executors, a smaller copyBufferBytes, or more executorMemory');
    const runs = await fx.db.query<{ n: string }>('SELECT count(*)::text AS n FROM c2y.runs');
    expect(runs.rows[0]?.n).toBe('0');

    const anyway = await runC2y(fx.args('tight', [...tight, '--set', 'memoryCheck=warn']));
    expect(anyway.code).toBe(5);
    expect(anyway.stderr).toContain('executor memory may be too small');
    expect(anyway.stderr).toContain('EXECUTOR_OUT_OF_MEMORY');
    expect(anyway.stderr).toContain('raise executorMemory (spark.executor.memory), lower cores or copyBufferBytes');
    expect(anyway.stderr).not.toMatch(/FATAL ERROR|JavaScript heap out of memory|<--- Last few GCs --->/);
    expect(anyway.stderr).toContain('--resume');
  });

  it('over a WAN (both sides 200 ms away), planning and checks overlap their round trips (a new run prepares in under 45 of them), and a split reads its first page with its checkpoint', async () => {
    // Every Cassandra node and the target behind a proxy that holds each chunk 100 ms each way. Asked one after the
    // other, the plan's questions were ~75 round trips (15 s here); the two sides asked at once, and the table's
    // counts, estimates and sample at once, it is ~30 (the driver's own session start is ~10 of them).
    const ONE_WAY_MS = 100;
    await migrateOverWan('wan', { sourceOneWayMs: ONE_WAY_MS, targetOneWayMs: ONE_WAY_MS }, (report) => {
      expect(report.rowsTotal).toBe(3000);
      console.log(`prepared over ${2 * ONE_WAY_MS} ms RTT in ${report.prepareSeconds} s (${(report.prepareSeconds * 1000 / (2 * ONE_WAY_MS)).toFixed(1)} round trips); the end recorded in ${report.finishSeconds} s`);
      expect(report.prepareSeconds).toBeLessThan((45 * 2 * ONE_WAY_MS) / 1000);
      // The end: rejects, checkpoints and the capture check in one message, the count with the status in another,
      // no connection's close waited for (5.1 round trips before, 1.023 s).
      expect(report.finishSeconds).toBeLessThan((3 * 2 * ONE_WAY_MS) / 1000);
      // A split's first page is read while its checkpoint is (EarlyScan): the streams wait for the others only,
      // ~1 round trip each, where they waited for every page. Each stream's first page also waits for the scan
      // statement's PREPARE (a round trip): since the target connections open while the run is planned (the
      // checkpoint read is then one round trip, not four), nothing on the target side hides it. Without EarlyScan
      // every first page would wait a round trip more: 8 of them, over the bound.
      const { count: pages } = report.latency.pageReadMs;
      const splits = report.splits.effective;
      const streams = 2;
      console.log(`streams waited ${report.timeSplit.sourceWaitSeconds} s on Cassandra for ${pages} pages of ${splits} splits; split connections ${JSON.stringify(report.roundTrips.splitConnections)}`);
      expect(splits).toBeGreaterThanOrEqual(6);
      expect(report.roundTrips.splitConnections.openedAhead).toBe(streams);
      expect(report.timeSplit.sourceWaitSeconds).toBeLessThan(((pages - splits / 2 + streams) * 2 * ONE_WAY_MS) / 1000);
    });
  }, 120_000);

  it('with Cassandra farther than the target, a split starts its COPY while its first page is read: 2 target round trips a split, not 3', async () => {
    // Cassandra 300 ms away, the target 100 ms: a split's checkpoint is read (1 target round trip) well before its
    // first page (1 Cassandra round trip, 2 on a stream's first split with the scan's PREPARE). Started with the
    // first row, the COPY's start was a third target round trip in every split (COPY start, COPY end, checkpoint with
    // COMMIT); started as soon as the checkpoint is read, its answer is in before the page.
    const TARGET_RTT_MS = 100;
    await migrateOverWan('wan_copy', { sourceOneWayMs: 150, targetOneWayMs: TARGET_RTT_MS / 2 }, (report) => {
      expect(report.rowsTotal).toBe(3000);
      const splits = report.splits.effective;
      console.log(`${splits} splits, ${report.commits} commits: streams waited ${report.timeSplit.targetWaitSeconds} s on the target (${TARGET_RTT_MS} ms RTT)`);
      expect(splits).toBeGreaterThanOrEqual(6);
      expect(report.commits).toBe(splits);
      // Each commit's wait is in its own report: reported with the next commit, a split's last one went nowhere (the
      // report read 0.002 s here, every split committing once).
      expect(report.timeSplit.targetWaitSeconds).toBeGreaterThanOrEqual((2 * splits * TARGET_RTT_MS * 0.95) / 1000);
      expect(report.timeSplit.targetWaitSeconds).toBeLessThan((2.5 * splits * TARGET_RTT_MS) / 1000);
    });
  }, 120_000);
});
