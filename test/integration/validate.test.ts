import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestData } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING } from '../helpers/servers.js';

let fx: MigrateFixture;

interface Summary { sourceRows: number; targetRows: number; differences: number; diffFile: string; repairedRows: number; afterRepair: { differences: number } | null }
interface Difference { kind: string; key: Record<string, string>; columns?: Array<{ column: string }> }

beforeAll(async () => {
  fx = await migrateFixture(2000, 'val');
  await loadTestData({ contactPoints: [...RING], keyspace: fx.keyspace, rows: 0, zooRows: 40, seed: 5, log: () => undefined });
  expect((await runC2y(fx.args('events', ['--split-size-mb', '0.05']))).code).toBe(0);
  const zoo = await runC2y(fx.args('types_zoo').map((arg) => (arg === 'events' ? 'types_zoo' : arg)));
  expect(zoo.code).toBe(0);
});
afterAll(async () => fx?.close());

const validateArgs = (table: string, extra: string[] = []): string[] => [
  'validate', '--contact-points', RING.join(','), '--keyspace', fx.keyspace, '--table', table, '--target-hosts', fx.db.hosts.join(','),
  '--database', fx.db.database, '--run-dir', fx.runDir, '--buckets', '64', '--json', ...extra,
];

describe('c2y validate', () => {
  it('finds no difference after clean migrations of events and types_zoo', async () => {
    for (const [table, rows] of [['events', 2000], ['types_zoo', 40]] as const) {
      const run = await runC2y(validateArgs(table, ['--executors', '2', '--cores', '2']));
      // Non-TTY stderr carries only structured info lines (progress, the dashboard's URL): no warning, error or trace.
      const lines = run.stderr.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: string; msg: string });
      for (const line of lines) expect(line.level).toBe('info');
      expect(lines.some((line) => line.msg === 'progress')).toBe(true);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as Summary & { sourceSplits: number; targetParts: number };
      expect(summary).toMatchObject({ sourceRows: rows, targetRows: rows, differences: 0, differingBuckets: 0, concurrency: { executors: 2, cores: 2 } });
      // Both sides are cut into tasks for the executors: the ring into splits, the target table into block ranges.
      expect(summary.sourceSplits).toBeGreaterThan(1);
      if (table === 'events') expect(summary.targetParts).toBeGreaterThan(1);
    }
  });

  it('compares every row under a target whose statement and idle timeouts would cut its reads (its sessions lift them)', async () => {
    const timeouts = ['statement_timeout', 'idle_in_transaction_session_timeout'];
    for (const name of timeouts) await fx.db.query(`ALTER DATABASE ${fx.db.database} SET ${name} = '1ms'`);
    const run = await runC2y(validateArgs('events')).finally(async () => {
      for (const name of timeouts) await fx.db.query(`ALTER DATABASE ${fx.db.database} RESET ${name}`);
    });
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sourceRows: 2000, targetRows: 2000, differences: 0 });
  });

  it('names exactly a deleted, a changed and an extra row, and --repair makes the next validate clean', async () => {
    const picked = await fx.db.query<{ tenant_id: number; bucket: number; event_id: string }>('SELECT tenant_id, bucket, event_id::text FROM public.events ORDER BY event_id LIMIT 2');
    const [gone, changed] = picked.rows as [typeof picked.rows[0], typeof picked.rows[0]];
    await fx.db.query('DELETE FROM public.events WHERE event_id = $1', [gone.event_id]);
    await fx.db.query(`UPDATE public.events SET payload = 'tampered' WHERE event_id = $1`, [changed.event_id]);
    await fx.db.query(`INSERT INTO public.events (tenant_id, bucket, event_time, event_id, kind) VALUES (999999, 7, now(), gen_random_uuid(), 'extra')`);

    const found = await runC2y(validateArgs('events'));
    expect(found.code).toBe(4);
    expect(found.stderr).toContain('ROWS_DIFFER');
    const summary = JSON.parse(found.stdout) as Summary;
    expect(summary).toMatchObject({ sourceRows: 2000, targetRows: 2000, differences: 3 });
    const diffs = readFileSync(summary.diffFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Difference);
    expect(diffs.map((d) => d.kind).sort()).toEqual(['different', 'extra', 'missing']);
    expect(diffs.find((d) => d.kind === 'missing')!.key['event_id']).toBe(gone.event_id);
    const different = diffs.find((d) => d.kind === 'different')!;
    expect(different.key['event_id']).toBe(changed.event_id);
    expect(different.columns!.map((c) => c.column)).toEqual(['payload']);
    expect(diffs.find((d) => d.kind === 'extra')!.key['tenant_id']).toBe('999999');

    const repaired = await runC2y(validateArgs('events', ['--repair']));
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ differences: 3, repairedRows: 4, afterRepair: { differences: 0 } });
    const again = await runC2y(validateArgs('events'));
    expect(again.code).toBe(0);
    expect(await postgresEventsDigest(fx.db, 'events')).toEqual(fx.sourceDigest);
  });
});
