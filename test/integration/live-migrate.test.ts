import cassandra from 'cassandra-driver';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startCdcCassandra } from '../../src/testbed/index.js';
import { cdcNodeFixture, type CdcNodeFixture } from '../helpers/cdc-node.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { appliedPast as appliedPastIn, killDuringApply, startWriter } from '../helpers/live-writer.js';

/**
 * `c2y migrate --live` on a real CDC node and PostgreSQL: a writer changes the table (single cells, whole rows,
 * collection elements, statics, TTLs; row, range and partition deletes) before, during and after the bulk copy; the
 * apply brings the target to the source's state, a TTL'd cell vanishes from the target when Cassandra expires it,
 * a kill -9 at any moment of the apply resumes with nothing lost or doubled, and validate finds no difference.
 */
const KEYSPACE = uniqueName('live');
const TABLE = 'orders';
let node: Awaited<ReturnType<typeof startCdcCassandra>>;
let client: cassandra.Client;
let db: TestDatabase;
let fixture: CdcNodeFixture;
const runDir = mkdtempSync(join(tmpdir(), 'live-runs-'));
const INITIAL = 3000;

function args(extra: readonly string[]): string[] {
  return [
    '--contact-points', node.address, '--keyspace', KEYSPACE, '--table', TABLE, '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database,
    '--run-dir', runDir, '--ui-port', '0', '--parallelism', '4', '--executors', '1', '--cores', '2', '--split-size-mb', '0.05', ...extra,
  ];
}

function liveArgs(extra: readonly string[] = []): string[] {
  return ['migrate', ...args(['--live', '--cdc-node', `${node.yaml},${node.libDir}`, '--set', 'cdcReadConsistency=ONE', ...extra])];
}

/** Seconds the TTLs written before the copy live: long enough for the copy to read them, short for the test. */
const COPIED_TTL = 40;

/**
 * Cells with TTLs the bulk copy carries (the copy reads cells, not their TTLs): whole rows, a static (its partition's
 * row stays), a set element on a row that stays. Outside the writer's partitions (region 'eu').
 */
async function writeCopiedTtls(): Promise<void> {
  const t = `${KEYSPACE}.${TABLE}`;
  for (let id = 0; id < 20; id++) await write(`INSERT INTO ${t} (id, region, seq, "values", note) VALUES (?, 'ttl', 0, 'fleeting', 'n') USING TTL ${COPIED_TTL}`, [id]);
  await write(`INSERT INTO ${t} (id, region, seq, "values") VALUES (0, 'ttl-static', 0, 'stays')`);
  await write(`UPDATE ${t} USING TTL ${COPIED_TTL} SET s = 'fleeting' WHERE id = 0 AND region = 'ttl-static'`);
  await write(`INSERT INTO ${t} (id, region, seq, tags) VALUES (0, 'ttl-element', 0, {'stays'})`);
  await write(`UPDATE ${t} USING TTL ${COPIED_TTL} SET tags = tags + {'fleeting'} WHERE id = 0 AND region = 'ttl-element' AND seq = 0`);
}

/** What the target holds of writeCopiedTtls's cells: rows, the static, the element. */
async function copiedTtlsInTarget(): Promise<{ rows: number; statics: number; elements: number }> {
  const result = await db.query<{ rows: number; statics: number; elements: number }>(`SELECT
    (SELECT count(*)::int FROM public.${TABLE} WHERE region = 'ttl') AS rows,
    (SELECT count(*)::int FROM public.${TABLE} WHERE region = 'ttl-static' AND s IS NOT NULL) AS statics,
    (SELECT count(*)::int FROM public.${TABLE} WHERE region = 'ttl-element' AND tags::text LIKE '%fleeting%') AS elements`);
  return result.rows[0] as { rows: number; statics: number; elements: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function write(cql: string, params: unknown[] = []): Promise<void> {
  await client.execute(cql, params, { prepare: true });
}

/** One round of every kind of change, on keys of round `n` (a mix of new and existing partitions). */
async function changeRound(n: number): Promise<void> {
  const t = `${KEYSPACE}.${TABLE}`;
  const id = (k: number): number => (n * 37 + k) % 400;
  await write(`INSERT INTO ${t} (id, region, seq, "values", tags, attrs, note) VALUES (?, 'eu', ?, ?, {'a', 'b'}, {'k': 1}, 'new')`, [id(1), 1000 + n, `v${n}`]);
  await write(`UPDATE ${t} SET "values" = ? WHERE id = ? AND region = 'eu' AND seq = 1`, [`changed ${n}`, id(2)]);
  await write(`UPDATE ${t} SET tags = tags + {'added'}, attrs['n'] = ? WHERE id = ? AND region = 'eu' AND seq = 2`, [n, id(3)]);
  await write(`DELETE note FROM ${t} WHERE id = ? AND region = 'eu' AND seq = 3`, [id(4)]);
  await write(`DELETE FROM ${t} WHERE id = ? AND region = 'eu' AND seq = 4`, [id(5)]);
  await write(`DELETE FROM ${t} WHERE id = ? AND region = 'eu' AND seq > 5`, [id(6)]);
  await write(`UPDATE ${t} SET s = ? WHERE id = ? AND region = 'eu'`, [`static ${n}`, id(7)]);
  if (n % 5 === 0) await write(`DELETE FROM ${t} WHERE id = ? AND region = 'eu'`, [id(8)]);
}

/** The apply has committed, for every node, a moment after `at` (ms): every change written before it is applied. */
const appliedPast = (at: number): Promise<boolean> => appliedPastIn(db, at);

async function validate(): Promise<{ differences: number; sourceRows: number }> {
  const run = await runC2y(['validate', ...args(['--json'])]);
  expect(run.stderr).not.toMatch(/"level":"error"/);
  const summary = JSON.parse(run.stdout) as { differences: number; sourceRows: number };
  return summary;
}

beforeAll(async () => {
  fixture = await cdcNodeFixture(KEYSPACE);
  ({ node, client } = fixture);
  // A composite partition key, a static, collections, and a column named like a JS member (`values`).
  await client.execute(`CREATE TABLE ${KEYSPACE}.${TABLE} (id int, region text, seq int, "values" text, tags set<text>, attrs map<text, int>, note text, s text static, PRIMARY KEY ((id, region), seq))`);
  for (let i = 0; i < INITIAL; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => write(`INSERT INTO ${KEYSPACE}.${TABLE} (id, region, seq, "values", tags, note, s) VALUES (?, 'eu', ?, ?, {'x'}, 'n', 'st')`, [(i + k) % 400, Math.floor((i + k) / 400), `initial ${i + k}`])));
  }
  await writeCopiedTtls();
  db = await createTestDatabase('live');
}, 240_000);

afterAll(async () => {
  await fixture?.close();
  await db?.close();
}, 60_000);

describe('c2y migrate --live', () => {
  it('refuses a table without CDC unless --enable-cdc, before any run is recorded', async () => {
    const refused = await runC2y(liveArgs());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not have CDC enabled.*--enable-cdc/s);
    const runs = await db.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'c2y' AND table_name = 'runs'");
    const recorded = runs.rows[0]?.['n'] === 1 ? (await db.query('SELECT count(*)::int AS n FROM c2y.runs')).rows[0]?.['n'] : 0;
    expect(recorded).toBe(0);
  });

  it('copies while a writer changes the table, applies every change, expires TTLs, and ends exact', async () => {
    const writer = startWriter(changeRound);
    const uiPort = 4600 + Math.floor(Math.random() * 300);
    const live = spawnC2y(liveArgs(['--enable-cdc', '--set', 'target.rowsPerSecond=3000', '--ui-port', String(uiPort)]));
    try {
      await until('the bulk copy to finish and the apply to start', async () => live.stderrSoFar().includes('applying the changes'), 120_000);
      // The copy carried the cells with TTLs (else the check that they vanish below proves nothing).
      expect(await copiedTtlsInTarget()).toEqual({ rows: 20, statics: 1, elements: 1 });
      await sleep(1500);
      const rounds = await writer.stop();
      expect(rounds).toBeGreaterThan(10);
      // A cell that lives 15 s, written after the copy: the apply writes it, then drops it when Cassandra expires it.
      await write(`UPDATE ${KEYSPACE}.${TABLE} USING TTL 15 SET note = 'brief' WHERE id = 399 AND region = 'eu' AND seq = 0`);
      const stopped = Date.now();
      await until('every change to be applied', () => appliedPast(stopped + 1500), 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-4000)}`);
      });
      // Looked at before the TTL can run out (with 8 s, a slow apply and the /metrics wait below let it expire first).
      const brief = await db.query(`SELECT note FROM public.${TABLE} WHERE id = 399 AND region = 'eu' AND seq = 0`);
      expect(brief.rows[0]?.['note'], `${(Date.now() - stopped) / 1000} s after the write`).toBe('brief');
      // The dashboard and /metrics are back for the apply, with its lag.
      // (The dashboard takes a fresh state each second: the lag appears once it has seen the apply caught up.)
      let metrics = '';
      await until('the lag on /metrics', async () => /^c2y_cdc_lag_seconds\{/m.test(metrics = await (await fetch(`http://127.0.0.1:${uiPort}/metrics`)).text()), 10_000)
        .catch((error: unknown) => {
          throw new Error(`${String(error)}\n${metrics.split('\n').filter((line) => line.startsWith('c2y_cdc')).join('\n')}`);
        });
      expect(metrics).toMatch(/^c2y_cdc_lag_seconds\{run="[^"]+",table="[^"]+"\} \d/m);
      expect(metrics).toMatch(/^c2y_cdc_node_up\{run="[^"]+",table="[^"]+",node="127\.0\.0\.7"\} 1$/m);
      const state = await (await fetch(`http://127.0.0.1:${uiPort}/api/state`)).json() as { cdc?: { appliedChanges: number } };
      expect(state.cdc?.appliedChanges, live.stderrSoFar().split('\n').filter((line) => !line.startsWith('{')).join('\n')).toBeGreaterThan(0);
      await until('the TTL to run out in the target', async () => (await db.query(`SELECT note FROM public.${TABLE} WHERE id = 399 AND region = 'eu' AND seq = 0`)).rows[0]?.['note'] === null, 30_000)
        .catch((error: unknown) => {
          throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-3000)}`);
        });
      // The cells the copy carried expire in the target too (the apply read their TTLs once the copy was done).
      await until('the copied TTLs to run out in the target', async () => JSON.stringify(await copiedTtlsInTarget()) === JSON.stringify({ rows: 0, statics: 0, elements: 0 }), (COPIED_TTL + 20) * 1000)
        .catch(async (error: unknown) => {
          throw new Error(`${String(error)}: ${JSON.stringify(await copiedTtlsInTarget())}\n${live.stderrSoFar().split('\n').filter((line) => !line.startsWith('{')).slice(-5).join('\n')}`);
        });
      expect(live.stderrSoFar()).toMatch(/copied TTLs read: 2[2-9] row\(s\) expiring/);
      // Writes are frozen (the writer stopped): the cut-over checks the keys written since the copy, drains and counts.
      const cut = await runC2y(['cutover', ...args(['--live', '--frozen', '--json'])]);
      expect(cut.code, cut.stderr.slice(-3000)).toBe(0);
      const outcome = JSON.parse(cut.stdout) as { switch: boolean; freezeSeconds: number; before: { keys: number }; during: { differences: unknown[] }; counts: { source: number; target: number } };
      expect(outcome.switch).toBe(true);
      expect(outcome.before.keys).toBeGreaterThan(100);
      expect(outcome.counts.source).toBe(outcome.counts.target);
      expect(outcome.freezeSeconds).toBeLessThan(10);
      live.child.kill('SIGINT');
      const ended = await live.result;
      expect(ended.code, ended.stderr.slice(-3000)).toBe(130);
      expect(ended.stderr).toMatch(/live apply was stopped.*--resume/s);
      expect(ended.stderr).toMatch(/lag [\d.]+ s, \d+ change\(s\) read and not yet applied; applied \d+ change/);
    } finally {
      await writer.stop();
      killGroup(live.child);
    }
    const summary = await validate();
    expect(summary.sourceRows).toBeGreaterThan(1000);
    expect(summary.differences).toBe(0);
    // The apply is stopped: a cut-over now would switch with changes unapplied, and is refused.
    const refused = await runC2y(['cutover', ...args(['--live', '--frozen'])]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/CUTOVER_NOT_READY: the live apply is not running for 127\.0\.0\.7/);
  }, 300_000);

  it('a kill -9 during the apply, then --resume: nothing lost, nothing twice', async () => {
    const writer = startWriter(changeRound);
    await killDuringApply(spawnC2y(liveArgs(['--resume'])), () => appliedPast(Date.now() - 500), writer);
    await write(`UPDATE ${KEYSPACE}.${TABLE} SET "values" = 'after the kill' WHERE id = 1 AND region = 'eu' AND seq = 0`);
    await sleep(1500);
    const resumedRun = spawnC2y(liveArgs(['--resume', '--until-caught-up']));
    // Should it hang (it did: a collector started and stopped at once never ended), what it said so far is shown.
    const deadline = setTimeout(() => console.log(`the resumed apply runs for 90 s now:\n${resumedRun.stderrSoFar().slice(-6000)}`), 90_000);
    const resumed = await resumedRun.result;
    clearTimeout(deadline);
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    const row = await db.query(`SELECT "values" FROM public.${TABLE} WHERE id = 1 AND region = 'eu' AND seq = 0`);
    expect(row.rows[0]?.['values']).toBe('after the kill');
    const summary = await validate();
    expect(summary.differences).toBe(0);
  }, 300_000);

  it('the target drops the apply\'s connection (a restart, a failover): the apply opens another and goes on, exact', async () => {
    const writer = startWriter(changeRound);
    const live = spawnC2y(liveArgs(['--resume']));
    try {
      await until('the apply to commit', async () => appliedPast(Date.now() - 500), 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-4000)}`);
      });
      // What a restart of the target does to the apply's session; the run lock's own session is left alone.
      const dropped = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'c2y live apply' AND datname = current_database()) AS t`);
      expect(dropped.rows[0]?.n).toBe(1);
      // Before, the apply ended with the connection's error and changes waited for a --resume.
      await until('the apply to try again', async () => /could not apply a batch of changes \(.*\); trying again on a new target connection/.test(live.stderrSoFar()), 30_000)
        .catch((error: unknown) => {
          throw new Error(`${String(error)} (exit ${String(live.child.exitCode)})\n${live.stderrSoFar().slice(-3000)}`);
        });
      const reconnected = Date.now();
      await until('the apply to commit on its new connection', async () => appliedPast(reconnected), 60_000);
      expect(live.child.exitCode).toBeNull();
      // The run lock's session next: the apply takes the lock again and says so (before, silently; and a lock lost
      // for good left the apply going on unguarded).
      const lockDropped = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'c2y live apply lock' AND datname = current_database()) AS t`);
      expect(lockDropped.rows[0]?.n).toBe(1);
      await until('the apply to take its lock again', async () => /c2y: the apply's run lock was taken again after \d+\.\d s/.test(live.stderrSoFar()), 30_000)
        .catch((error: unknown) => {
          throw new Error(`${String(error)} (exit ${String(live.child.exitCode)})\n${live.stderrSoFar().slice(-3000)}`);
        });
      expect(live.stderrSoFar()).toMatch(/c2y: the apply's run lock was dropped with its connection \(.*\); taking it again/);
      expect(live.child.exitCode).toBeNull();
    } finally {
      await writer.stop();
    }
    try {
      const stopped = Date.now();
      await until('every change to be applied', () => appliedPast(stopped + 1500), 60_000);
      live.child.kill('SIGINT');
      const ended = await live.result;
      expect(ended.code, ended.stderr.slice(-3000)).toBe(130);
    } finally {
      killGroup(live.child);
    }
    const summary = await validate();
    expect(summary.differences).toBe(0);
  }, 300_000);
});
