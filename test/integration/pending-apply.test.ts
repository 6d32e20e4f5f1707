import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPending } from '../../src/cdc/change-applier.js';
import { applyContext, cdcStreamId } from '../../src/cdc/live-apply.js';
import { loadConfig } from '../../src/config/index.js';
import { CdcStore, openTarget, type TargetClient } from '../../src/sink/index.js';
import type { CassandraClient } from '../../src/source/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/**
 * The keys a live migration noted as pending while the bulk copy ran are written once it is done, a batch at a time.
 * One batch can hold a whole partition (a partition or range delete touched it) and a row of the same partition (an
 * update touched it): the row must be read and written once, not once per key (PostgreSQL refused the second copy
 * with "duplicate key value violates unique constraint", and the live apply stopped).
 */
let db: TestDatabase;
let cql: CassandraClient;
let target: TargetClient;
let keyspace: string;

const hexInt = (value: number): string => value.toString(16).padStart(8, '0');

beforeAll(async () => {
  keyspace = uniqueName('pending');
  cql = await cassandraClient();
  await cql.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`);
  await cql.execute(`CREATE TABLE ${keyspace}.t (p int, c int, v text, PRIMARY KEY (p, c))`);
  for (const [p, c] of [[1, 1], [1, 2], [1, 3], [2, 1]] as const) {
    await cql.execute(`INSERT INTO ${keyspace}.t (p, c, v) VALUES (?, ?, 'old')`, [p, c], { prepare: true });
  }
  db = await createTestDatabase('pending');
  const copied = await runC2y(['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 't', '--target-hosts', db.hosts.join(','), '--database', db.database]);
  expect(copied.code, copied.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await target?.end();
  await cql?.shutdown();
  await db?.close();
});

describe('the pending keys of a live migration', () => {
  it('a partition and a row of it pending in one batch are written once', async () => {
    const { config } = loadConfig({ flags: { 'source.keyspace': keyspace, 'source.table': 't', 'source.contactPoints': RING.join(','), 'target.database': db.database, 'target.hosts': db.hosts.join(',') } });
    const [host, port] = (db.hosts[0] as string).split(':');
    target = await openTarget({ host: host as string, port: Number(port), key: db.hosts[0] as string }, config.target, 'pending test');
    const context = await applyContext(config, cql, 'pending-test');
    const store = new CdcStore(config.target.checkpointSchema);
    await store.ensureTables(target, config.target.checkpointSchema);
    await cql.execute(`UPDATE ${keyspace}.t SET v = 'new' WHERE p = 1 AND c = 2`);
    await cql.execute(`DELETE FROM ${keyspace}.t WHERE p = 1 AND c = 3`);
    await cql.execute(`UPDATE ${keyspace}.t SET v = 'new' WHERE p = 2 AND c = 1`);
    await store.addTouched(target, cdcStreamId(config), [
      { key: [hexInt(1)], clustering: [hexInt(2)] }, { key: [hexInt(1)] }, { key: [hexInt(1)], clustering: [hexInt(1)] }, { key: [hexInt(2)], clustering: [hexInt(1)] },
    ], true);

    const outcome = await applyPending(context, target, 100);

    expect(outcome.rowsWritten).toBe(3);
    const rows = await db.query<{ p: number; c: number; v: string }>('SELECT p, c, v FROM public.t ORDER BY p, c');
    expect(rows.rows).toEqual([{ p: 1, c: 1, v: 'old' }, { p: 1, c: 2, v: 'new' }, { p: 2, c: 1, v: 'new' }]);
    expect(await store.pendingKeys(target, cdcStreamId(config), 100)).toEqual([]);
  }, 60_000);

  it('the keys touched since a moment come a page at a time, each once (a cut-over never holds them all)', async () => {
    const store = new CdcStore('c2y');
    const stream = 'paging test';
    const keys = Array.from({ length: 4500 }, (_, i) => (i % 3 === 0 ? { key: [hexInt(i)] } : { key: [hexInt(i)], clustering: [hexInt(i % 7)] }));
    await store.addTouched(target, stream, keys);
    const pages: number[] = [];
    const seen = new Set<string>();
    for await (const page of store.touchedSince(target, stream, 0, 2000)) {
      pages.push(page.length);
      for (const row of page) seen.add(JSON.stringify([row.key, row.clustering]));
    }
    expect(pages).toEqual([2000, 2000, 500]);
    expect(seen).toEqual(new Set(keys.map((k) => JSON.stringify([k.key, k.clustering ?? null]))));
    // A moment after every touch: nothing; an exact multiple of the page: no empty page at the end.
    const later: unknown[] = [];
    for await (const page of store.touchedSince(target, stream, (await store.nowMs(target)) + 60_000, 2000)) later.push(page);
    expect(later).toEqual([]);
    const whole: number[] = [];
    for await (const page of store.touchedSince(target, stream, 0, 1500)) whole.push(page.length);
    expect(whole).toEqual([1500, 1500, 1500]);
  }, 60_000);
});
