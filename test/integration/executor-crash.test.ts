import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { spawnC2y } from '../helpers/run-cli.js';
import { until } from '../helpers/wait.js';

const ROWS = 20_000;
let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'xcrash');
});
afterAll(async () => fx?.close());

const count = (table: string): Promise<number> => fx.rowsIn(table);
// Many small splits, committed every 200 rows, on two executors of two tasks: still running when one is killed.
const slow = ['--split-size-mb', '0.05', '--parallelism', '4', '--cores', '2', '--executors', '2', '--copy-flush-every', '200', '--json'];

/** The driver's child processes now (its executors, forked ahead or for the run). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('an executor that dies mid-run', () => {
  it('is started again; its splits are retried from their checkpoints, the run ends finished and exact', async () => {
    const { child, result } = spawnC2y(fx.args('one_killed', slow));
    await until('a fifth of the rows committed', async () => (await count('one_killed')) >= ROWS / 5, 120_000);
    const executors = childrenOf(child.pid as number);
    expect(executors.length).toBeGreaterThanOrEqual(1);
    process.kill(executors[0] as number, 'SIGKILL');
    const ended = await result;
    expect(ended.code, ended.stderr.slice(-2000)).toBe(0);
    expect(ended.stderr).toMatch(/executor exited.*SIGKILL/);
    const report = JSON.parse(ended.stdout) as { status: string; rowsTotal: number; targetRowsCounted: number | null; retries: number };
    expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS, targetRowsCounted: ROWS });
    expect(report.retries).toBeGreaterThanOrEqual(1);
    expect(await postgresEventsDigest(fx.db, 'one_killed')).toEqual(fx.sourceDigest);
  });

  it('every executor killed, again and again: the run goes on while respawns last, and a resume ends exact', async () => {
    const { child, result } = spawnC2y(fx.args('all_killed', [...slow, '--executors', '1']));
    await until('some rows committed', async () => (await count('all_killed')) > 0, 120_000);
    // Kill whatever executor runs, until the driver gives up (MAX_RESPAWNS) or the run ends.
    let kills = 0;
    while (child.exitCode === null && child.signalCode === null && kills < 30) {
      for (const pid of childrenOf(child.pid as number)) {
        try {
          process.kill(pid, 'SIGKILL');
          kills++;
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const ended = await result;
    expect(kills).toBeGreaterThan(0);
    // Either the respawns outlasted the run (exact), or they ran out and the run failed with the resume command.
    if (ended.code !== 0) {
      // A driver that died without its report shows why: its stderr, not a JSON.parse error.
      expect(ended.stdout.trim(), `exit ${String(ended.code)} ${String(ended.signal)}, no report; stderr:\n${ended.stderr.slice(-4000)}`).not.toBe('');
      const report = JSON.parse(ended.stdout) as { status: string; splits: { failed: Array<{ code: string }> } };
      expect(report.status).toBe('failed');
      expect(report.splits.failed.length).toBeGreaterThan(0);
      expect(report.splits.failed.every((split) => split.code === 'EXECUTOR_CRASHED')).toBe(true);
      expect(ended.stderr.slice(-3000)).toContain('--resume');
      const resumed = await (spawnC2y(fx.args('all_killed', [...slow, '--resume'])).result);
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
    }
    expect(await count('all_killed')).toBe(ROWS);
    expect(await postgresEventsDigest(fx.db, 'all_killed')).toEqual(fx.sourceDigest);
  });
});
