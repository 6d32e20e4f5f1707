import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { untilFound } from '../helpers/wait.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpProxy } from '../../src/testbed/index.js';
import { RING } from '../helpers/servers.js';

/** `c2y tune` against a real run: Cassandra's events into the test bed's PostgreSQL. */
const ROWS = 12_000;
const SMALL_SPLITS = ['--split-size-mb', '0.05', '--copy-flush-every', '300', '--parallelism', '4', '--executors', '2', '--cores', '2'];
let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'tune');
});
afterAll(async () => fx?.close());

/** Only the target options: tune finds the run in the target's c2y.runs. */
function tuneArgs(runId: string, ...sets: string[]): string[] {
  const args = fx.args('unused');
  const hosts = args[args.indexOf('--target-hosts') + 1] as string;
  return ['tune', runId, '--target-hosts', hosts, '--database', fx.db.database, ...sets.flatMap((set) => ['--set', set])];
}

describe('c2y tune', () => {
  it('lifts a running run\'s limit within seconds: the run then finishes far sooner than the limit allowed, exactly', async () => {
    // 12,000 rows at 600 rows/s would take 20 s.
    const started = Date.now();
    const run = spawnC2y(fx.args('tuned', [...SMALL_SPLITS, '--set', 'target.rowsPerSecond=600', '--json']));
    try {
      const runId = await untilFound('the run id', () => /"runId":"(\d{8}-\d{6}-[0-9a-f]+)"/.exec(run.stderrSoFar())?.[1]);
      await untilFound('rows to be committed', () => (/"committed":[1-9]/.test(run.stderrSoFar()) || Date.now() - started > 4000 ? true : undefined));
      const refused = await runC2y(tuneArgs(runId, 'copyFlushEvery=8'));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('"copyFlushEvery" cannot be tuned while a run goes on');
      const tuned = await runC2y(tuneArgs(runId, 'target.rowsPerSecond=off'));
      expect(tuned.code, tuned.stderr).toBe(0);
      expect(tuned.stdout).toContain(`run ${runId}: target.rowsPerSecond=off, applied by its driver`);
    } catch (error) {
      killGroup(run.child);
      throw error;
    }
    const result = await run.result;
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    expect(result.stderr).toMatch(/"msg":"tuned"[^\n]*"from":"target.rowsPerSecond=600"[^\n]*"to":"no limits"/);
    expect(seconds).toBeLessThan(15);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.rowsTotal).toBe(ROWS);
    expect(await postgresEventsDigest(fx.db, 'tuned')).toEqual(fx.sourceDigest);

    // The run is over: tune refuses, and so it does for a run that does not exist or a value that is not a rate.
    const late = await runC2y(tuneArgs(report.runId, 'target.rowsPerSecond=100'));
    expect(late.code).toBe(2);
    expect(late.stderr).toContain(`run ${report.runId} is finished`);
    expect((await runC2y(tuneArgs('20200101-000000-abcdef', 'target.rowsPerSecond=100'))).stderr).toContain('no run 20200101-000000-abcdef');
    expect((await runC2y(tuneArgs(report.runId, 'target.rowsPerSecond=-5'))).code).toBe(2);
  }, 120_000);

  it('slows a running run down: a limit tuned in mid-run holds from then on', async () => {
    const started = Date.now();
    // 12,000 rows at 3,000 rows/s: 4 s, of which tune and its acknowledgement take at most ~2.5.
    const run = spawnC2y(fx.args('slowed', [...SMALL_SPLITS, '--set', 'target.rowsPerSecond=3000', '--copy-flush-every', '100', '--set', 'source.fetchSize=100', '--json']));
    let tunedAt = 0;
    let committedThen = 0;
    try {
      const runId = await untilFound('the run id', () => /"runId":"(\d{8}-\d{6}-[0-9a-f]+)"/.exec(run.stderrSoFar())?.[1]);
      const tuned = await runC2y(tuneArgs(runId, 'target.rowsPerSecond=1000'));
      expect(tuned.code, tuned.stderr).toBe(0);
      tunedAt = Date.now();
      committedThen = (await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM slowed').catch(() => ({ rows: [{ n: 0 }] }))).rows[0]?.n ?? 0;
    } catch (error) {
      killGroup(run.child);
      throw error;
    }
    const result = await run.result;
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    const afterTune = (Date.now() - tunedAt) / 1000;
    // Whatever was left when the limit came in went at no more than 1,000 rows/s (20 % slack for timing).
    const left = ROWS - committedThen;
    expect(left).toBeGreaterThan(2000);
    expect(afterTune).toBeGreaterThan((left / 1000) * 0.8);
    expect(result.stderr).toMatch(/"msg":"tuned"[^\n]*"from":"target.rowsPerSecond=3000"[^\n]*"to":"target.rowsPerSecond=1000"/);
    expect((Date.now() - started) / 1000).toBeGreaterThan(afterTune);
    expect(await postgresEventsDigest(fx.db, 'slowed')).toEqual(fx.sourceDigest);
  }, 120_000);

  it('parallelism tuned down: splits not yet started wait, one stream at a time from then on, exactly', async () => {
    // 12 splits, 4 slots; paced (a split ~3 s at 1,200 rows/s over 4 streams) so that the tune, applied within ~3.5 s, lands while most splits are still to start.
    const run = spawnC2y(fx.args('narrowed', ['--split-size-mb', '0.01', '--parallelism', '12', '--executors', '2', '--cores', '2', '--copy-flush-every', '200',
      '--set', 'target.rowsPerSecond=1200', '--log-level', 'debug', '--json']));
    try {
      const runId = await untilFound('the run id', () => /"runId":"(\d{8}-\d{6}-[0-9a-f]+)"/.exec(run.stderrSoFar())?.[1]);
      const tuned = await runC2y(tuneArgs(runId, 'parallelism=1'));
      expect(tuned.code, tuned.stderr).toBe(0);
    } catch (error) {
      killGroup(run.child);
      throw error;
    }
    const result = await run.result;
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    const lines = result.stderr.split('\n');
    const tunedLine = lines.findIndex((line) => /"msg":"tuned".*"to":"target.rowsPerSecond=1200, parallelism=1"/.test(line));
    expect(tunedLine, result.stderr.slice(-3000)).toBeGreaterThan(0);
    // Streams running as the run's own events say; after the tune, a split starts only when none is running.
    let running = 0;
    let startsAfterTune = 0;
    lines.forEach((line, index) => {
      if (/"msg":"split-finished"/.test(line)) running--;
      if (!/"msg":"split-started"/.test(line)) return;
      if (index > tunedLine) {
        expect(running, `split started with ${running} running after the tune`).toBe(0);
        startsAfterTune++;
      }
      running++;
    });
    expect(startsAfterTune).toBeGreaterThan(2);
    expect(await postgresEventsDigest(fx.db, 'narrowed')).toEqual(fx.sourceDigest);
  }, 120_000);
});

describe('source.adaptive', () => {
  it('backs the reads off when Cassandra\'s page reads slow down mid-run, and says so in the log and the report', async () => {
    // Every node behind a proxy on this side: its delay stands for a Cassandra that has started to struggle.
    const proxies = RING.map((host) => new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: host, targetPort: 9042 }));
    for (const proxy of proxies) await proxy.start();
    const addressMap = RING.map((host, i) => `${host}:9042=${proxies[i]?.address ?? ''}`).join(',');
    try {
      // 12,000 rows at 1,000 rows/s: ~12 s, small pages so that every 2 s window has many page reads.
      const run = spawnC2y(fx.args('adaptive', [...SMALL_SPLITS, '--set', 'target.rowsPerSecond=1000', '--set', 'source.fetchSize=100', '--set', 'source.adaptive=true',
        '--set', `source.addressMap=${addressMap}`, '--json']));
      try {
        await untilFound('the run to start', () => (run.stderrSoFar().includes('"msg":"planned"') ? true : undefined));
        // A few windows at the normal latency, then 60 ms each way, then normal again.
        await sleep(4000);
        for (const proxy of proxies) proxy.oneWayDelayMs = 60;
        await untilFound('the back-off', () => (run.stderrSoFar().includes('adaptive: backing off the reads') ? true : undefined), 20_000);
        for (const proxy of proxies) proxy.oneWayDelayMs = 0;
      } catch (error) {
        killGroup(run.child);
        throw new Error(`${String(error)}; the run's log: ${run.stderrSoFar().slice(-3000)}`);
      }
      const result = await run.result;
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      expect(result.stderr).toMatch(/"msg":"adaptive: backing off the reads"[^\n]*"capRowsPerSecond":\d+[^\n]*"reason":"median page read \d+ ms, against \d+(\.\d+)? ms at best"/);
      const report = JSON.parse(result.stdout) as RunReport;
      console.log(`adaptive: ${JSON.stringify(report.adaptive)}; ${result.stderr.split('\n').filter((line) => line.includes('adaptive:')).join(' | ')}`);
      expect(report.adaptive?.backoffs).toBeGreaterThan(0);
      expect(report.adaptive?.lowestRowsPerSecond).toBeLessThan(1000);
      expect(report.adaptive?.cappedSeconds).toBeGreaterThan(0);
      expect(report.rowsTotal).toBe(ROWS);
      expect(await postgresEventsDigest(fx.db, 'adaptive')).toEqual(fx.sourceDigest);
    } finally {
      for (const proxy of proxies) await proxy.close();
    }
  }, 120_000);
});
