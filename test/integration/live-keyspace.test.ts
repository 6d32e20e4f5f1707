import cassandra from 'cassandra-driver';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startCdcCassandra } from '../../src/testbed/index.js';
import { cdcNodeFixture, type CdcNodeFixture } from '../helpers/cdc-node.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { appliedPast, killDuringApply, startWriter } from '../helpers/live-writer.js';

/**
 * `c2y migrate --live --keyspace` on a real CDC node and PostgreSQL: every table of the keyspace copied in one run
 * while a writer changes three of them, then their changes applied from one agent on the node (the log read once for
 * all tables); validate --keyspace finds every table exact, also after a kill -9 and --resume.
 */
const KEYSPACE = uniqueName('livek');
const TABLES = ['Accounts', 'keys_only', 'orders', 'quiet'];
let node: Awaited<ReturnType<typeof startCdcCassandra>>;
let client: cassandra.Client;
let db: TestDatabase;
let fixture: CdcNodeFixture;
const runDir = mkdtempSync(join(tmpdir(), 'live-keyspace-runs-'));

function liveArgs(extra: readonly string[] = []): string[] {
  return [
    'migrate', '--contact-points', node.address, '--keyspace', KEYSPACE, '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database,
    '--run-dir', runDir, '--ui-port', '0', '--parallelism', '4', '--executors', '1', '--cores', '2', '--split-size-mb', '0.05',
    '--live', '--cdc-node', `${node.yaml},${node.libDir}`, '--set', 'cdcReadConsistency=ONE', ...extra,
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function write(cql: string, params: unknown[] = []): Promise<void> {
  await client.execute(cql, params, { prepare: true });
}

/** One round of changes to three of the tables (the fourth, `quiet`, is never written after the copy starts). */
async function changeRound(n: number): Promise<void> {
  const id = (k: number): number => (n * 31 + k) % 300;
  await write(`INSERT INTO ${KEYSPACE}.orders (id, seq, "values", tags) VALUES (?, ?, ?, {'new'})`, [id(1), 1000 + n, `v${n}`]);
  await write(`UPDATE ${KEYSPACE}.orders SET "values" = ?, tags = tags + {'added'} WHERE id = ? AND seq = 1`, [`changed ${n}`, id(2)]);
  await write(`DELETE FROM ${KEYSPACE}.orders WHERE id = ? AND seq > 3`, [id(3)]);
  await write(`UPDATE ${KEYSPACE}."Accounts" SET "Balance" = ?, history = history + ? WHERE "Id" = ?`, [n, [`round ${n}`], id(4)]);
  if (n % 3 === 0) await write(`DELETE FROM ${KEYSPACE}."Accounts" WHERE "Id" = ?`, [id(5)]);
  await write(`INSERT INTO ${KEYSPACE}.keys_only (k, c) VALUES (?, ?)`, [id(6), n]);
  await write(`DELETE FROM ${KEYSPACE}.keys_only WHERE k = ? AND c = 0`, [id(7)]);
  // One mutation changing two tables (same partition key value): both changes at one log position.
  await client.batch([
    { query: `INSERT INTO ${KEYSPACE}.orders (id, seq, "values") VALUES (?, ?, 'batched')`, params: [id(8), 2000 + n] },
    { query: `INSERT INTO ${KEYSPACE}.keys_only (k, c) VALUES (?, ?)`, params: [id(8), 2000 + n] },
  ], { prepare: true, logged: true });
}

/** Every table's apply has committed, on the node, a moment after `at` (ms). */
const allAppliedPast = (at: number): Promise<boolean> => appliedPast(db, at, TABLES.length);

/** The CDC agents running on this machine (java processes of the agent's class). */
function agentsRunning(): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('C2yCdcAgent') && line.includes(KEYSPACE)).length;
}

async function expectExact(): Promise<void> {
  const run = await runC2y(['validate', '--contact-points', node.address, '--keyspace', KEYSPACE, '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database, '--run-dir', runDir, '--json']);
  expect(run.code, run.stderr.slice(-3000)).toBe(0);
  const summary = JSON.parse(run.stdout) as { tables: Array<{ table: string; summary: { sourceRows: number; differences: number } | null }> };
  expect(summary.tables.map((t) => t.table).sort()).toEqual([...TABLES].sort());
  for (const table of summary.tables) expect(table.summary?.differences, table.table).toBe(0);
  expect(summary.tables.find((t) => t.table === 'orders')?.summary?.sourceRows).toBeGreaterThan(1000);
}

beforeAll(async () => {
  fixture = await cdcNodeFixture(KEYSPACE);
  ({ node, client } = fixture);
  await client.execute(`CREATE TABLE ${KEYSPACE}.orders (id int, seq int, "values" text, tags set<text>, PRIMARY KEY (id, seq))`);
  await client.execute(`CREATE TABLE ${KEYSPACE}."Accounts" ("Id" int PRIMARY KEY, "Balance" bigint, history list<text>)`);
  await client.execute(`CREATE TABLE ${KEYSPACE}.keys_only (k int, c int, PRIMARY KEY (k, c))`);
  await client.execute(`CREATE TABLE ${KEYSPACE}.quiet (k int PRIMARY KEY, v text)`);
  for (let i = 0; i < 2400; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => write(`INSERT INTO ${KEYSPACE}.orders (id, seq, "values", tags) VALUES (?, ?, ?, {'x'})`, [(i + k) % 300, Math.floor((i + k) / 300), `initial ${i + k}`])));
  }
  await Promise.all(Array.from({ length: 300 }, (_, k) => write(`INSERT INTO ${KEYSPACE}."Accounts" ("Id", "Balance", history) VALUES (?, ?, ['opened'])`, [k, k * 10])));
  await Promise.all(Array.from({ length: 300 }, (_, k) => write(`INSERT INTO ${KEYSPACE}.keys_only (k, c) VALUES (?, 0)`, [k])));
  await Promise.all(Array.from({ length: 50 }, (_, k) => write(`INSERT INTO ${KEYSPACE}.quiet (k, v) VALUES (?, 'still')`, [k])));
  db = await createTestDatabase('livek');
}, 240_000);

afterAll(async () => {
  await fixture?.close();
  await db?.close();
}, 60_000);

describe('c2y migrate --live --keyspace', () => {
  it('refuses a keyspace whose tables lack CDC unless --enable-cdc, before its run is recorded', async () => {
    const refused = await runC2y(liveArgs());
    expect(refused.code, refused.stderr.slice(-2000)).toBe(2);
    expect(refused.stderr).toMatch(/does not have CDC enabled.*--enable-cdc/s);
    const runs = await db.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'c2y' AND table_name = 'runs'");
    const recorded = runs.rows[0]?.['n'] === 1 ? (await db.query('SELECT count(*)::int AS n FROM c2y.runs')).rows[0]?.['n'] : 0;
    expect(recorded).toBe(0);
  });

  it('copies every table while a writer changes three, applies their changes from one agent, and ends exact', async () => {
    const writer = startWriter(changeRound);
    const live = spawnC2y(liveArgs(['--enable-cdc', '--set', 'target.rowsPerSecond=2000']));
    try {
      await until('the bulk copy to finish and the apply to start', async () => live.stderrSoFar().includes('applying the changes'), 120_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-4000)}`);
      });
      await sleep(1500);
      // One agent reads the node's log for all four tables (before: one agent a table).
      expect(agentsRunning()).toBe(1);
      const rounds = await writer.stop();
      expect(rounds).toBeGreaterThan(10);
      const stopped = Date.now();
      await until('every table\'s changes to be applied', () => allAppliedPast(stopped + 1500), 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-4000)}`);
      });
      // Writes are frozen (the writer stopped): one cut-over for every table, one freeze.
      const cut = await runC2y(['cutover', '--contact-points', node.address, '--keyspace', KEYSPACE, '--target-hosts', `127.0.0.1:${db.port}`, '--database', db.database, '--live', '--frozen', '--json']);
      expect(cut.code, cut.stderr.slice(-3000)).toBe(0);
      const outcome = JSON.parse(cut.stdout) as { switch: boolean; freezeSeconds: number; tables: Array<{ table: string; keysBefore: number; counts: { source: number; target: number } }> };
      expect(outcome.switch).toBe(true);
      expect(outcome.tables.map((t) => t.table).sort()).toEqual([...TABLES].sort());
      for (const table of outcome.tables) expect(table.counts.target, table.table).toBe(table.counts.source);
      expect(outcome.tables.find((t) => t.table === 'Accounts')?.keysBefore).toBeGreaterThan(10);
      expect(outcome.tables.find((t) => t.table === 'quiet')?.keysBefore).toBe(0);
      expect(outcome.freezeSeconds).toBeLessThan(10);
      live.child.kill('SIGINT');
      const ended = await live.result;
      expect(ended.code, ended.stderr.slice(-3000)).toBe(130);
      expect(ended.stderr).toMatch(/lag [\d.]+ s, \d+ change\(s\) read and not yet applied; applied \d+ change/);
    } finally {
      await writer.stop();
      killGroup(live.child);
    }
    await expectExact();
  }, 300_000);

  it('a kill -9 during the apply, then --resume --until-caught-up: every table exact', async () => {
    const writer = startWriter(changeRound);
    const live = spawnC2y(liveArgs(['--resume']));
    await killDuringApply(live, () => allAppliedPast(Date.now() - 500), writer);
    await write(`UPDATE ${KEYSPACE}."Accounts" SET "Balance" = -1 WHERE "Id" = 7`);
    await write(`UPDATE ${KEYSPACE}.quiet SET v = 'changed at last' WHERE k = 3`);
    await sleep(1500);
    const resumed = await runC2y(liveArgs(['--resume', '--until-caught-up']));
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    expect((await db.query('SELECT "Balance"::int AS b FROM public."Accounts" WHERE "Id" = 7')).rows[0]?.['b']).toBe(-1);
    expect((await db.query('SELECT v FROM public.quiet WHERE k = 3')).rows[0]?.['v']).toBe('changed at last');
    await expectExact();
  }, 300_000);
});
