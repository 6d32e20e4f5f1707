import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { restartPostgres, TcpProxy, testbedPgPort } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { committedRows, until } from '../helpers/wait.js';
import { spawnC2y } from '../helpers/run-cli.js';

let fx: MigrateFixture;
const ROWS = 60_000;
const SMALL = ['--split-size-mb', '0.2', '--parallelism', '8', '--executors', '2', '--cores', '4', '--ui-port', '0'];
/** Paced at 15,000 rows/s (≥ 4 s a run): the fault lands mid-run however fast the machine moves rows. */
const PACED = [...SMALL, '--set', 'target.rowsPerSecond=15000'];

/** Failed splits gave their stream buffers back for their retries: no executor made more sets than its 4 cores. */
function expectStreamBuffersGivenBack(report: RunReport): void {
  expect(report.retries).toBeGreaterThan(0);
  for (const executor of report.executors.filter((e) => e.ready)) {
    expect(executor.streamBuffersMade).toBeGreaterThan(0);
    expect(executor.streamBuffersMade).toBeLessThanOrEqual(4);
  }
}

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'flt');
}, 180_000);
afterAll(async () => fx?.close());



/** One proxy per target address, each in front of the test bed's PostgreSQL on that address. */
async function proxies(options: { bytesPerSecond?: number } = {}): Promise<TcpProxy[]> {
  return Promise.all(fx.db.hosts.map(async (host) => {
    const address = host.split(':')[0] as string;
    const proxy = new TcpProxy({ listenHost: address, listenPort: 0, targetHost: address, targetPort: testbedPgPort(), ...options });
    await proxy.start();
    return proxy;
  }));
}

function progressLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').filter((line) => line.includes('"msg":"progress"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('faults', () => {
  it('target restarted (pg_ctl restart -m fast) under 8 streams: the run retries from checkpoints and ends exact', async () => {
    const run = spawnC2y(fx.args('restarted', [...PACED, '--copy-flush-every', '300', '--json', '--set', 'retryBackoffMs=500']));
    await until('rows committed', async () => (await committedRows(fx.db, 'restarted')) > 0);
    const before = await committedRows(fx.db, 'restarted');
    restartPostgres();
    const result = await run.result;
    expect(result.stderr).toContain('split retry');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(before).toBeLessThan(ROWS);
    expect(report.retries).toBeGreaterThan(0);
    expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS });
    expectStreamBuffersGivenBack(report);
    expect(await postgresEventsDigest(fx.db, 'restarted')).toEqual(fx.sourceDigest);
  }, 120_000);

  it('target unreachable for 20 s (every connection dropped): retries say node and attempt n of m, then the run ends exact', async () => {
    const front = await proxies();
    try {
      const run = spawnC2y(fx.args('outage', [...PACED, '--copy-flush-every', '300', '--json']).map((arg) => (arg === fx.db.hosts.join(',') ? front.map((p) => p.address).join(',') : arg)));
      await until('rows committed', async () => (await committedRows(fx.db, 'outage')) > 0);
      for (const proxy of front) proxy.setDown(true);
      await new Promise((r) => setTimeout(r, 20_000));
      const duringOutage = run.stderrSoFar();
      for (const proxy of front) proxy.setDown(false);
      const result = await run.result;
      expect(result.code).toBe(0);
      expect(front.reduce((sum, p) => sum + p.stats.refused, 0)).toBeGreaterThan(0);
      // The log names the node and the attempt while it happens, not only at the end.
      expect(duringOutage).toMatch(/"msg":"split retry".*"node":"127\.0\.0\.\d:\d+".*"attempt":\d,"of":6/);
      const shown = progressLines(duringOutage).filter((line) => typeof line['retrying'] === 'string');
      expect(shown.length).toBeGreaterThan(0);
      expect(String(shown.at(-1)?.['retrying'])).toMatch(/^split \d+ on 127\.0\.0\.\d:\d+, attempt \d of 6: /);
      const report = JSON.parse(result.stdout) as RunReport;
      expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS });
      expect(report.durationSeconds).toBeGreaterThan(20);
      expectStreamBuffersGivenBack(report);
      expect(await postgresEventsDigest(fx.db, 'outage')).toEqual(fx.sourceDigest);
    } finally {
      await Promise.all(front.map((p) => p.close()));
    }
  }, 180_000);

  it('slow target (384 KB/s per connection): backpressure keeps memory within the plan and the rate shown is the true rate', async () => {
    const perConnection = 384 * 1024;
    const front = await proxies({ bytesPerSecond: perConnection });
    try {
      const args = fx.args('slow', [...SMALL, '--cores', '2', '--copy-flush-every', '2000', '--json']).map((arg) => (arg === fx.db.hosts.join(',') ? front.map((p) => p.address).join(',') : arg));
      const result = await spawnC2y(args).result;
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      const report = JSON.parse(result.stdout) as RunReport;
      expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS });
      for (const executor of report.executors) expect(executor.withinPlan).toBe(true);
      // Slow is not broken: not one retry (a proxy that reordered bytes once made PostgreSQL drop connections here).
      expect(report.retries).toBe(0);
      // At most 4 streams at once, each capped: the true ceiling in rows/s.
      const ceiling = (report.concurrency.concurrentTasks * perConnection) / (report.bytes / report.rows);
      expect(report.rowsPerSecond).toBeLessThanOrEqual(ceiling * 1.05);
      for (const line of progressLines(result.stderr)) expect(Number(line['rowsPerSecond'])).toBeLessThanOrEqual(ceiling * 1.25);
      expect(await postgresEventsDigest(fx.db, 'slow')).toEqual(fx.sourceDigest);
    } finally {
      await Promise.all(front.map((p) => p.close()));
    }
  }, 180_000);
});
