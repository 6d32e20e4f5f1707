import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { until } from '../helpers/wait.js';

const ROWS = 20_000;
let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'rlock');
});
afterAll(async () => fx?.close());

const count = (table: string): Promise<number> => fx.rowsIn(table);
const slow = ['--split-size-mb', '0.05', '--parallelism', '4', '--cores', '1', '--executors', '1', '--copy-flush-every', '200'];

async function expectExact(table: string): Promise<void> {
  const digest = await postgresEventsDigest(fx.db, table);
  expect(digest).toEqual(fx.sourceDigest);
}

/** Starts a run and kill -9s driver and executors once `share` of the rows are committed. */
async function killMidRun(table: string, share: number): Promise<number> {
  const { child, result } = spawnC2y(fx.args(table, slow));
  await until(`${share} of the rows in ${table}`, async () => (await count(table)) >= share * ROWS, 120_000);
  killGroup(child);
  await result;
  return count(table);
}

describe('--restart empties the table only once the new run is recorded', () => {
  it('a --restart refused by the memory check keeps the old run, and --resume finishes it exactly', async () => {
    const atKill = await killMidRun('refused_restart', 0.3);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(ROWS);
    // 2 MiB: pages shrink with the memory (copyBufferBytes), but the encode buffer and connection alone put it under 0.5.
    const refused = await runC2y(fx.args('refused_restart', [...slow, '--restart', '--executor-memory', '2m']));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('MEMORY_PLAN_REFUSED');
    // Refused before the table was touched: every committed row is still there.
    expect(await count('refused_restart')).toBe(atKill);
    const resumed = await runC2y(fx.args('refused_restart', [...slow, '--resume', '--json']));
    expect(resumed.stderr).not.toContain('unexpected');
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as { status: string; rowsTotal: number; targetRowsCounted: number | null; resumed: boolean };
    expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS, targetRowsCounted: ROWS, resumed: true });
    await expectExact('refused_restart');
  });

  it('a --restart that starts supersedes the old run: resuming that run by id is refused, the new run is exact', async () => {
    const atKill = await killMidRun('superseded', 0.2);
    expect(atKill).toBeGreaterThan(0);
    const old = await fx.db.query<{ run_id: string }>(`SELECT run_id FROM c2y.runs WHERE target LIKE '%.superseded' ORDER BY created_at DESC LIMIT 1`);
    const oldRun = old.rows[0]?.run_id as string;
    const restarted = await runC2y(fx.args('superseded', [...slow, '--restart', '--json']));
    expect(restarted.code).toBe(0);
    await expectExact('superseded');
    const stale = await runC2y(fx.args('superseded', [...slow, '--resume', oldRun]));
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`RUN_SUPERSEDED: run ${oldRun}`);
    await expectExact('superseded');
  });

  it('a finished run whose table was changed by hand is not reported finished again', async () => {
    // The count and the status it decides are one statement: what it recorded, as well as what it reported.
    const recorded = async (): Promise<unknown> => (await fx.db.query(`SELECT status, finished_at IS NOT NULL AS stamped FROM c2y.runs WHERE target LIKE '%.changed_by_hand'`)).rows;
    const first = await runC2y(fx.args('changed_by_hand', [...slow, '--json']));
    expect(first.code).toBe(0);
    expect(await recorded()).toEqual([{ status: 'finished', stamped: true }]);
    await fx.db.query('DELETE FROM public.changed_by_hand WHERE ctid IN (SELECT ctid FROM public.changed_by_hand LIMIT 7)');
    const again = await runC2y(fx.args('changed_by_hand', [...slow, '--resume']));
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(new RegExp(`TARGET_COUNT_MISMATCH: .*checkpoints say .* should hold ${ROWS} rows, but it holds ${ROWS - 7}`));
    expect(await recorded()).toEqual([{ status: 'failed', stamped: true }]);
  });
});

describe('one driver per target table', () => {
  it('a second migrate (plain, --resume or --restart) refuses naming the first run, which ends exact', async () => {
    // Slowed down (a commit every 4 rows, one stream) so it is still running while the others try.
    const first = spawnC2y(fx.args('locked', [...slow, '--parallelism', '1', '--copy-flush-every', '4', '--set', 'source.fetchSize=40']));
    let firstEnded = false;
    void first.result.then(() => (firstEnded = true));
    await until('the first driver to commit rows', async () => (await count('locked')) > 0, 120_000);
    const runId = (await fx.db.query<{ run_id: string }>(`SELECT run_id FROM c2y.runs WHERE target LIKE '%.locked'`)).rows[0]?.run_id as string;
    for (const extra of [[], ['--resume'], ['--restart']]) {
      const second = await runC2y(fx.args('locked', [...slow, ...extra]));
      expect(second.code, `second driver with ${extra.join(' ') || 'no flag'}`).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`RUN_LOCKED: another c2y driver is writing .*locked: run ${runId}, driver pid \\d+ on `));
      expect(await count('locked')).toBeGreaterThan(0);
    }
    expect(firstEnded, 'the first driver ended before the others tried: the test proves nothing').toBe(false);
    const done = await first.result;
    expect(done.code).toBe(0);
    await expectExact('locked');
    // The lock went with the first driver: the table can be written again.
    const after = await runC2y(fx.args('locked', [...slow, '--resume']));
    expect(after.code).toBe(0);
  });

  it('a database\'s idle_session_timeout ends none of the run\'s sessions: one backend holds the lock throughout', async () => {
    // Before c2y lifted it, the lock's connection (idle by design), opened while Cassandra was read, was ended by the
    // server before the lock was taken: the run failed in planning (PREPARE_FAILED, "not queryable"); at 3 s it was
    // ended mid-run every 3 s and retaken after a gap in which another driver could take the table.
    // The test watches on a session opened before the setting, which therefore keeps it off.
    const watcher = new pg.Client({ host: '127.0.0.1', port: fx.db.port, user: 'postgres', database: fx.db.database });
    await watcher.connect();
    const holders = async (): Promise<number[]> => (await watcher.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND d.datname = $1`, [fx.db.database])).rows.map((r) => r.pid);
    await fx.db.query(`ALTER DATABASE ${fx.db.database} SET idle_session_timeout = '300ms'`);
    try {
      const run = spawnC2y(fx.args('idle_lock', [...slow, '--parallelism', '1', '--copy-flush-every', '4', '--set', 'source.fetchSize=40']));
      let ended = false;
      void run.result.then(() => (ended = true));
      const seen = new Set<number>();
      // Every 100 ms from the lock's taking to the run's end: one holder, always the same backend.
      while (!ended) {
        const now = await holders();
        expect(now.length).toBeLessThanOrEqual(1);
        for (const pid of now) seen.add(pid);
        await sleep(100);
      }
      const done = await run.result;
      expect(done.code, done.stderr.slice(-1500)).toBe(0);
      expect([...seen]).toHaveLength(1);
    } finally {
      await fx.db.query(`ALTER DATABASE ${fx.db.database} RESET idle_session_timeout`);
      await watcher.end();
    }
    await expectExact('idle_lock');
  });

  it('a lock whose connection the server ends is taken again on a new one, and the run\'s log says so', async () => {
    // Before, the drop and the retaking were silent: nothing told the operator the table had been unguarded.
    const run = spawnC2y(fx.args('lock_retaken', [...slow, '--parallelism', '1', '--copy-flush-every', '4', '--set', 'source.fetchSize=40', '--json']));
    const holders = async (): Promise<number[]> => (await fx.db.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND d.datname = $1`, [fx.db.database])).rows.map((r) => r.pid);
    await until('the run to commit rows', async () => (await count('lock_retaken')) > 0, 120_000);
    const [first] = await holders();
    expect(first).toBeDefined();
    await fx.db.query('SELECT pg_terminate_backend($1)', [first]);
    await until('the lock held again', async () => (await holders()).some((pid) => pid !== first), 30_000);
    const done = await run.result;
    expect(done.code, done.stderr.slice(-1500)).toBe(0);
    expect(done.stderr).toMatch(/"msg":"run lock dropped with its connection; taking it again/);
    expect(done.stderr).toMatch(/"msg":"run lock taken again","runId":"[^"]+","afterSeconds":\d/);
    await expectExact('lock_retaken');
  });

  it('a driver killed with -9 leaves no lock behind: --resume starts at once and ends exact', async () => {
    await killMidRun('lock_after_kill', 0.2);
    const resumed = await runC2y(fx.args('lock_after_kill', [...slow, '--resume']));
    expect(resumed.code).toBe(0);
    await expectExact('lock_after_kill');
  });
});

describe('a run ends finished only when its splits covered the whole ring', () => {
  it('a stored plan that lost a split is refused on --resume, naming the tokens no split covers', async () => {
    await killMidRun('lost_split', 0.2);
    await fx.db.query(`UPDATE c2y.runs SET plan = jsonb_set(plan, '{splits}', (plan->'splits') - 1) WHERE target LIKE '%.lost_split'`);
    const resumed = await runC2y(fx.args('lost_split', [...slow, '--resume']));
    expect(resumed.code).toBe(5);
    expect(resumed.stderr).toMatch(/RING_NOT_COVERED: the splits of run \S+ do not cover the token ring exactly once: tokens \]-?\d+, -?\d+\] belong to no split/);
  });
});

describe('a run prepares while another session has c2y\'s tables open', () => {
  it('a transaction left open on the checkpoints (another run\'s split, a worker cut off by the network) does not stop a new run', async () => {
    // c2y's tables exist (a first run), then a session holds what a split's open transaction holds on them: a read.
    expect((await runC2y(fx.args('lock_first', slow))).code).toBe(0);
    const holder = new pg.Client({ host: '127.0.0.1', port: fx.db.port, user: 'postgres', database: fx.db.database });
    await holder.connect();
    try {
      await holder.query('BEGIN; SELECT 1 FROM c2y.checkpoints LIMIT 1; SELECT 1 FROM c2y.rejects LIMIT 1');
      const run = spawnC2y(fx.args('lock_second', [...slow, '--json']));
      // An ALTER TABLE … ADD COLUMN IF NOT EXISTS here waited for that transaction: for ever, as long as it stays open.
      const ended = await Promise.race([run.result, sleep(90_000).then(() => undefined)]);
      if (!ended) killGroup(run.child);
      expect(ended?.code, ended ? ended.stderr.slice(-1500) : 'the run hung waiting for a lock').toBe(0);
      await expectExact('lock_second');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }, 180_000);
});
