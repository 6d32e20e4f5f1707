import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { committedRows, until } from '../helpers/wait.js';

/**
 * target.onExisting on real Cassandra and PostgreSQL: a target table that already holds rows (some deleted, some
 * stale, some the source never had) is refused by default, kept by skip, brought to the source's values by update;
 * the end-of-run count check holds in both; a run killed part-way resumes only with the mode it started with.
 */
let fx: MigrateFixture;
const ROWS = 3000;
const SMALL = ['--split-size-mb', '0.05', '--copy-flush-every', '200', '--parallelism', '4', '--executors', '1', '--cores', '2'];

const count = async (table: string, where = 'true'): Promise<number> => Number((await fx.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM public."${table}" WHERE ${where}`)).rows[0]?.n);

/** Deletes about a third of the rows, makes a third stale, and adds 25 rows under keys the source never had. */
async function disturb(table: string): Promise<{ deleted: number; stale: number }> {
  const deleted = (await fx.db.query(`DELETE FROM public."${table}" WHERE quantity % 3 = 0`)).rowCount ?? 0;
  const stale = (await fx.db.query(`UPDATE public."${table}" SET kind = 'stale', tags = NULL WHERE quantity % 3 = 1`)).rowCount ?? 0;
  await fx.db.query(`INSERT INTO public."${table}" (tenant_id, bucket, event_time, event_id, kind)
    SELECT -1, g, now(), gen_random_uuid(), 'extra' FROM generate_series(1, 25) g`);
  return { deleted, stale };
}

/** The target's rows under the source's keys only (the 25 extras left out), digested as the source is. */
async function digestWithoutExtras(table: string): Promise<{ count: number; digest: string }> {
  await fx.db.query(`DROP TABLE IF EXISTS public."${table}_cmp"; CREATE TABLE public."${table}_cmp" AS SELECT * FROM public."${table}" WHERE tenant_id <> -1`);
  return postgresEventsDigest(fx.db, `${table}_cmp`);
}

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'onex');
  const first = await runC2y(fx.args('held', [...SMALL, '--json']));
  expect(first.code).toBe(0);
});
afterAll(async () => fx?.close());

describe('target.onExisting', () => {
  it('refuse (the default) names the table and the settings that would take it', async () => {
    const run = await runC2y(fx.args('held', SMALL));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already holds rows.*|target\.onExisting to skip/s);
    expect(run.stderr).toContain('set target.onExisting to skip');
  });

  it('skip brings back the deleted rows and leaves the stale and extra ones as they were; update then makes them right', async () => {
    const { deleted, stale } = await disturb('held');
    expect(deleted).toBeGreaterThan(500);
    expect(stale).toBeGreaterThan(500);

    const skip = await runC2y(fx.args('held', [...SMALL, '--on-existing', 'skip', '--json']));
    expect(skip.stderr).not.toMatch(/ERROR/);
    expect(skip.code).toBe(0);
    const skipped = JSON.parse(skip.stdout) as RunReport;
    expect(skipped).toMatchObject({ status: 'finished', rows: ROWS, existing: { mode: 'skip', rows: ROWS - deleted, heldBefore: ROWS - deleted + 25 } });
    // The end-of-run check: what the table held, plus the rows under new keys.
    expect(skipped.targetRowsCounted).toBe(ROWS + 25);
    expect(await count('held', `kind = 'stale'`)).toBe(stale);
    expect(await count('held', 'tenant_id = -1')).toBe(25);

    // Text COPY this time: the stage takes either format.
    const update = await runC2y(fx.args('held', [...SMALL, '--on-existing', 'update', '--set', 'target.copyFormat=text', '--json']));
    expect(update.code).toBe(0);
    const updated = JSON.parse(update.stdout) as RunReport;
    expect(updated).toMatchObject({ status: 'finished', rows: ROWS, existing: { mode: 'update', rows: ROWS, heldBefore: ROWS + 25 }, copyFormat: { format: 'text' } });
    expect(updated.targetRowsCounted).toBe(ROWS + 25);
    expect(await digestWithoutExtras('held')).toEqual(fx.sourceDigest);
    expect(await count('held', 'tenant_id = -1')).toBe(25);
  });

  it('a target without a primary key or unique index on the source key is refused before any row moves', async () => {
    await fx.db.query('CREATE TABLE public.nokey (LIKE public.held)');
    const run = await runC2y(fx.args('nokey', [...SMALL, '--on-existing', 'update']));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no primary key or unique index on exactly those columns/);
    expect(await count('nokey')).toBe(0);
  });

  it('killed part-way, an update run resumes only with update, and ends exact', async () => {
    await fx.db.query('CREATE TABLE public.partway (LIKE public.held INCLUDING ALL)');
    await fx.db.query(`INSERT INTO public.partway SELECT * FROM public.held WHERE tenant_id <> -1 AND quantity % 2 = 0`);
    await fx.db.query(`UPDATE public.partway SET payload = 'old' WHERE quantity % 4 = 0`);
    const started = spawnC2y(fx.args('partway', [...SMALL, '--on-existing', 'update', '--set', 'target.rowsPerSecond=1500']));
    await until('a first commit', async () => (await committedRows(fx.db, 'partway')) > 0, 60_000);
    killGroup(started.child);
    await started.result;
    expect(await committedRows(fx.db, 'partway')).toBeLessThan(ROWS);

    const wrongMode = await runC2y(fx.args('partway', [...SMALL, '--resume', '--on-existing', 'skip']));
    expect(wrongMode.code).toBe(2);
    expect(wrongMode.stderr).toMatch(/started with target\.onExisting update, not skip/);
    const refused = await runC2y(fx.args('partway', [...SMALL, '--resume']));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--on-existing update/);

    const resumed = await runC2y(fx.args('partway', [...SMALL, '--resume', '--on-existing', 'update', '--json']));
    expect(resumed.stderr).not.toMatch(/ERROR/);
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'finished', rowsTotal: ROWS, resumed: true });
    expect(report.targetRowsCounted).toBe(ROWS);
    expect(await postgresEventsDigest(fx.db, 'partway')).toEqual(fx.sourceDigest);
  });
});
