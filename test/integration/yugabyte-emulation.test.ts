import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { createTableDdl } from '../../src/schema/index.js';
import { describeTable } from '../../src/source/index.js';
import { emulateYugabyte, requireYbCopySetting, YB_EMULATION_SCHEMA } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { runC2y } from '../helpers/run-cli.js';
import { cassandraClient } from '../helpers/servers.js';

/**
 * EMULATED YugabyteDB (see src/testbed/yugabyte-emulation.ts): detection, yb_servers() discovery with private and
 * public addresses, and the per-session COPY setting run against a PostgreSQL database that presents them.
 */
let fx: MigrateFixture;
let port: number;
/** TEST-NET-1: addresses no machine answers on, standing in for a cluster's internal network. */
const UNREACHABLE = ['192.0.2.1', '192.0.2.3', '192.0.2.33'];

async function createTarget(table: string): Promise<void> {
  const cassandra = await cassandraClient();
  try {
    const source = await describeTable(cassandra, fx.keyspace, 'events');
    // YSQL's DDL (HASH keys) is not emulated: the table is made with PostgreSQL's.
    await fx.db.query(createTableDdl(source, { schema: 'public', table }, 'postgres'));
  } finally {
    await cassandra.shutdown();
  }
}

function migrateArgs(table: string, configuredHost: string, extra: readonly string[] = []): string[] {
  return [...fx.args(table, ['--json', '--ui-port', '0', '--parallelism', '6', '--split-size-mb', '0.05', '--set', 'target.createTable=false', ...extra]).filter((arg, i, all) => all[i - 1] !== '--target-hosts' && arg !== '--target-hosts'), '--target-hosts', configuredHost];
}

beforeAll(async () => {
  fx = await migrateFixture(3000, 'ybemu');
  port = fx.db.port;
}, 180_000);
afterAll(async () => {
  await fx?.close();
});

describe('YugabyteDB paths, EMULATED on PostgreSQL', () => {
  it('discovery reaches each node by its own address or its public one, leaves out the unreachable, and every stream sets the YB COPY setting', async () => {
    await emulateYugabyte(fx.db, fx.db.database, [
      { host: UNREACHABLE[0] as string, port, publicIp: '127.0.0.1' },
      { host: '127.0.0.2', port, publicIp: null },
      { host: UNREACHABLE[1] as string, port, publicIp: UNREACHABLE[2] as string },
    ]);
    await createTarget('events_yb');
    await requireYbCopySetting(fx.db, 'public.events_yb');
    const run = await runC2y(migrateArgs('events_yb', `127.0.0.3:${port}`));
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.targetServer).toMatch(/^yugabyte \(PostgreSQL 11\.2-YB-/);
    expect(Object.keys(report.streamsPerNode).sort()).toEqual([`127.0.0.1:${port}`, `127.0.0.2:${port}`]);
    expect(run.stderr).toContain(`node ${UNREACHABLE[0]}:${port} is reached by its public address 127.0.0.1`);
    expect(run.stderr).toContain(`node ${UNREACHABLE[1]}:${port} (public ${UNREACHABLE[2]}) is not reachable from here: left out`);
    expect(await postgresEventsDigest(fx.db, 'events_yb')).toEqual(fx.sourceDigest);
    const settings = await fx.db.query<{ sessions: number; values: string[] }>(`SELECT count(DISTINCT pid)::int AS sessions, array_agg(DISTINCT value) AS values FROM ${YB_EMULATION_SCHEMA}.session_settings WHERE name = 'yb_default_copy_from_rows_per_transaction'`);
    expect(settings.rows[0]?.values).toEqual(['0']);
    expect(settings.rows[0]?.sessions).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('a stream keeps the YB COPY setting after rolling back a transaction to set a refused row aside', async () => {
    await emulateYugabyte(fx.db, fx.db.database, [{ host: '127.0.0.1', port, publicIp: null }]);
    await createTarget('events_yb_refused');
    // About one row in a hundred is refused: each refusal rolls the stream's transaction back and copies again.
    await fx.db.query('ALTER TABLE public.events_yb_refused ADD CONSTRAINT one_in_a_hundred CHECK (quantity % 100 <> 0)');
    await requireYbCopySetting(fx.db, 'public.events_yb_refused');
    const run = await runC2y(migrateArgs('events_yb_refused', `127.0.0.1:${port}`, ['--set', 'onError=reject', '--copy-flush-every', '400', '--executors', '1', '--cores', '2']));
    expect(run.stderr).not.toContain('EMULATED YugabyteDB: a COPY');
    expect(run.code, run.stderr.slice(-1500)).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    const held = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.events_yb_refused');
    expect(report.rejects).toBeGreaterThan(5);
    expect(report.status).toBe('finished');
    expect(held.rows[0]?.n).toBe(report.rowsTotal);
    expect(report.rowsTotal + report.rejects).toBe(3000);
  }, 120_000);

  it('never trades reachable configured hosts for unreachable internal ones; discovery off uses the configured hosts only', async () => {
    await emulateYugabyte(fx.db, fx.db.database, UNREACHABLE.map((host) => ({ host, port, publicIp: null })));
    await createTarget('events_yb_internal');
    const run = await runC2y(migrateArgs('events_yb_internal', `127.0.0.3:${port}`));
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    expect(run.stderr).toContain('no node yb_servers() lists is reachable from here: using the configured target.hosts');
    expect(Object.keys((JSON.parse(run.stdout) as RunReport).streamsPerNode)).toEqual([`127.0.0.3:${port}`]);
    expect(await postgresEventsDigest(fx.db, 'events_yb_internal')).toEqual(fx.sourceDigest);

    await emulateYugabyte(fx.db, fx.db.database, [{ host: '127.0.0.1', port, publicIp: null }, { host: '127.0.0.2', port, publicIp: null }]);
    await createTarget('events_yb_off');
    const off = await runC2y(migrateArgs('events_yb_off', `127.0.0.3:${port}`, ['--set', 'target.discovery=off']));
    expect(off.code, off.stderr.slice(-1500)).toBe(0);
    expect(Object.keys((JSON.parse(off.stdout) as RunReport).streamsPerNode)).toEqual([`127.0.0.3:${port}`]);
  }, 120_000);
});
