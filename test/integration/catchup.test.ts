import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import type { CassandraClient } from '../../src/source/index.js';
import { cassandraEventsDigest, postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient } from '../helpers/servers.js';
import { startTestbedRedis } from '../../src/testbed/index.js';
import { committedRows, until } from '../helpers/wait.js';

/**
 * `c2y catchup` on real Cassandra and PostgreSQL: after a finished bulk copy, the source is written (single cells,
 * whole rows, collection elements, new rows, row, range and partition deletes, a cell with a TTL that expires); one
 * pass writes only the rows written since, deletes what the source no longer holds, and leaves the target exact. A
 * pass killed part-way resumes; a table never copied, or a pass while another is unfinished, is refused.
 */
let fx: MigrateFixture;
let cql: CassandraClient;
const ROWS = 3000;
const SMALL = ['--split-size-mb', '0.05', '--copy-flush-every', '200', '--parallelism', '4', '--executors', '1', '--cores', '2'];
/** The fixture's rows are written just before the bulk copy: a margin of 0 keeps them out of the pass. */
const NO_MARGIN = ['--set', 'catchupMarginSeconds=0'];

interface PassOutput {
  readonly report: RunReport;
  readonly scanSeconds: number;
  readonly validate: { readonly found: Record<string, number>; readonly repairedRows: number; readonly afterRepair: { differences: number } | null; readonly differences: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Key { tenant_id: number; bucket: number; event_time: Date; event_id: unknown }

async function someKeys(count: number, skip: number): Promise<Key[]> {
  const rows = (await cql.execute(`SELECT tenant_id, bucket, event_time, event_id FROM ${fx.keyspace}.events LIMIT ${count + skip}`)).rows;
  return rows.slice(skip).map((row) => ({ tenant_id: row['tenant_id'] as number, bucket: row['bucket'] as number, event_time: row['event_time'] as Date, event_id: row['event_id'] }));
}

/** Writes to the source of every kind; returns how many rows it wrote (upserts) and how many it deleted at least. */
async function writeSource(): Promise<{ written: number }> {
  const keys = await someKeys(160, 0);
  const where = 'WHERE tenant_id = ? AND bucket = ? AND event_time = ? AND event_id = ?';
  const at = (key: Key): unknown[] => [key.tenant_id, key.bucket, key.event_time, key.event_id];
  const run = (cqlText: string, params: unknown[]): Promise<unknown> => cql.execute(cqlText, params, { prepare: true });
  for (const key of keys.slice(0, 40)) await run(`UPDATE ${fx.keyspace}.events SET kind = 'changed' ${where}`, at(key));
  for (const key of keys.slice(40, 60)) await run(`INSERT INTO ${fx.keyspace}.events (tenant_id, bucket, event_time, event_id, kind, quantity, payload) VALUES (?, ?, ?, ?, 'rewritten', 7, 'p')`, at(key));
  for (const key of keys.slice(60, 80)) await run(`UPDATE ${fx.keyspace}.events SET tags = tags + {'added'} ${where}`, at(key));
  for (const key of keys.slice(80, 110)) await run(`DELETE FROM ${fx.keyspace}.events ${where}`, at(key));
  for (const key of keys.slice(110, 115)) await run(`UPDATE ${fx.keyspace}.events USING TTL 1 SET payload = 'brief' ${where}`, at(key));
  // A range inside one partition, and a whole partition, from further along the table.
  const [ranged, whole] = await someKeys(2, 2000);
  if (ranged) await run(`DELETE FROM ${fx.keyspace}.events WHERE tenant_id = ? AND bucket = ? AND event_time >= ?`, [ranged.tenant_id, ranged.bucket, ranged.event_time]);
  if (whole) await run(`DELETE FROM ${fx.keyspace}.events WHERE tenant_id = ? AND bucket = ?`, [whole.tenant_id, whole.bucket]);
  for (let i = 0; i < 30; i++) {
    await run(`INSERT INTO ${fx.keyspace}.events (tenant_id, bucket, event_time, event_id, kind, tags) VALUES (?, ?, ?, now(), 'new', {'a', 'b'})`, [900_000 + i, i % 3, new Date(Date.UTC(2025, 0, 1, 0, 0, i))]);
  }
  return { written: 40 + 20 + 20 + 5 + 30 };
}

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'catch');
  cql = await cassandraClient();
  await sleep(1100);
  const first = await runC2y(fx.args('caught', [...SMALL, '--json']));
  expect(first.code).toBe(0);
});
afterAll(async () => {
  await cql?.shutdown();
  await fx?.close();
});

describe('c2y catchup', () => {
  it('refuses a table no run has finished', async () => {
    const run = await runC2y(['catchup', ...fx.args('never', SMALL).slice(1)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no finished run of .*events .*run c2y migrate first/s);
    // --resume with only the finished bulk run there: no pass to resume, and the bulk run is never timed as one.
    const resume = await runC2y(['catchup', ...fx.args('caught', [...SMALL, '--resume']).slice(1)]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/is a bulk run, not a catch-up pass: there is no pass to resume.*without --resume/s);
  });

  it('one pass writes the rows written since the copy began, deletes what the source dropped, and ends exact', async () => {
    const { written } = await writeSource();
    await sleep(1500);
    const pass = await runC2y(['catchup', ...fx.args('caught', [...SMALL, ...NO_MARGIN, '--json']).slice(1)]);
    expect(pass.stderr).not.toMatch(/"level":"error"/);
    expect(pass.code).toBe(0);
    const out = JSON.parse(pass.stdout) as PassOutput;
    expect(out.report).toMatchObject({ status: 'finished', existing: { mode: 'update' } });
    // Every row written since (the TTL'd cells expired: their rows are older again), and none of the untouched ones.
    expect(out.report.rows).toBeGreaterThanOrEqual(written - 5);
    expect(out.report.rows).toBeLessThanOrEqual(written);
    expect(out.report.catchup?.rowsOlder).toBeGreaterThan(ROWS / 2);
    // What the scan cannot see: deleted rows and expired cells; validate finds and repairs them.
    expect(out.validate.found['extra']).toBeGreaterThanOrEqual(30);
    expect(out.validate.found['missing']).toBe(0);
    expect(out.validate.found['different']).toBe(5);
    expect(out.validate.afterRepair?.differences ?? out.validate.differences).toBe(0);
    expect(await postgresEventsDigest(fx.db, 'caught')).toEqual(await cassandraEventsDigest(cql, fx.keyspace));

    // Nothing written since: the next pass writes nothing and finds nothing.
    const again = await runC2y(['catchup', ...fx.args('caught', [...SMALL, ...NO_MARGIN, '--json']).slice(1)]);
    expect(again.code).toBe(0);
    const quiet = JSON.parse(again.stdout) as PassOutput;
    expect(quiet.report.rows).toBe(0);
    expect(quiet.validate.differences).toBe(0);
    // c2y status tells the passes apart from the bulk run, with each pass's time (what a freeze would take).
    const status = await runC2y(['status', ...fx.args('caught', []).slice(1)]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/catch-up pass of rows written since \S+, [\d.]+ s with its validate/);
  });

  it('a pass killed part-way refuses a new pass, resumes with --resume, and ends exact', async () => {
    // A margin of a day: every row counts as written since, so the pass runs long enough to be killed.
    const slow = ['--set', 'catchupMarginSeconds=86400', '--set', 'target.rowsPerSecond=1500'];
    const before = await committedRows(fx.db, 'caught');
    const started = spawnC2y(['catchup', ...fx.args('caught', [...SMALL, ...slow]).slice(1)]);
    await until('a first commit of the pass', async () => (await committedRows(fx.db, 'caught')) > before, 60_000);
    killGroup(started.child);
    await started.result;
    // Written after the kill: its split may be done already (then validate repairs it) or still to come.
    const [late] = await someKeys(1, 500);
    if (late) await cql.execute(`UPDATE ${fx.keyspace}.events SET kind = 'late' WHERE tenant_id = ? AND bucket = ? AND event_time = ? AND event_id = ?`, [late.tenant_id, late.bucket, late.event_time, late.event_id], { prepare: true });

    const refused = await runC2y(['catchup', ...fx.args('caught', [...SMALL, ...slow]).slice(1)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has not finished.*--resume/s);
    const resumed = await runC2y(['catchup', ...fx.args('caught', [...SMALL, '--resume', '--json', '--set', 'catchupMarginSeconds=86400']).slice(1)]);
    expect(resumed.code).toBe(0);
    const out = JSON.parse(resumed.stdout) as PassOutput;
    expect(out.report).toMatchObject({ status: 'finished', resumed: true });
    expect(await postgresEventsDigest(fx.db, 'caught')).toEqual(await cassandraEventsDigest(cql, fx.keyspace));
  });

  it('--distributed: a worker runs the pass\'s splits (write-time columns and staged merge included); validate runs here', async () => {
    const [changed] = await someKeys(1, 700);
    if (changed) await cql.execute(`UPDATE ${fx.keyspace}.events SET kind = 'by-worker' WHERE tenant_id = ? AND bucket = ? AND event_time = ? AND event_id = ?`, [changed.tenant_id, changed.bucket, changed.event_time, changed.event_id], { prepare: true });
    await sleep(1100);
    const redis = await startTestbedRedis();
    const env = { C2Y_RUN_KEY: 'catchup-test-run-key-0123456789abcdef' };
    const allow = ['--allow-source', RING.map((host) => `${host}:9042`).join(','), '--allow-target', fx.db.hosts.join(',')];
    const worker = spawnC2y(['worker', '--redis', redis.url, ...allow, '--cores', '2', '--name', 'catchup-worker', '--json'], env);
    try {
      const pass = await runC2y(['catchup', ...fx.args('caught', [...SMALL, ...NO_MARGIN, '--distributed', '--redis', redis.url, '--ui-port', '0', '--json']).slice(1)], env);
      expect(pass.code, pass.stderr.slice(-2000)).toBe(0);
      const out = JSON.parse(pass.stdout) as PassOutput;
      expect(out.report.status).toBe('finished');
      // Since the last finished pass began: this update, and the one made after that pass was killed.
      expect(out.report.rows).toBeGreaterThanOrEqual(1);
      expect(out.report.rows).toBeLessThanOrEqual(2);
      expect(out.validate.differences).toBe(0);
      expect(worker.stderrSoFar() + worker.stdoutSoFar()).toContain('joined run');
      expect(await postgresEventsDigest(fx.db, 'caught')).toEqual(await cassandraEventsDigest(cql, fx.keyspace));
    } finally {
      killGroup(worker.child);
      await redis.stop();
    }
  }, 180_000);
});
