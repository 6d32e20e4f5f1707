import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

/**
 * The checkpoint, COMMIT and next BEGIN in one round trip: a fence that does not hold commits nothing (the rows of
 * the transaction included), a run id with quotes and backslashes is a value, never SQL.
 */
let db: TestDatabase;
let client: pg.Client;
const store = new CheckpointStore('c2y');
const RUN = "run 'quoted' \\ back\\slash";

beforeAll(async () => {
  db = await createTestDatabase('ckcommit');
  client = new pg.Client({ host: '127.0.0.1', port: db.port, user: 'postgres', database: db.database });
  await client.connect();
  await store.ensureTables(client);
  await client.query('CREATE TABLE public.rows_written (n integer)');
  await store.createRun(client, { runId: RUN, source: 'k.t', target: `${db.database}.public.rows_written`, plan: {}, splitIds: [0, 1] });
});
afterAll(async () => {
  await client?.end();
  await db?.close();
});

const inTransactionBlock = async (): Promise<boolean> => {
  try {
    await client.query('SAVEPOINT probe');
    await client.query('RELEASE SAVEPOINT probe');
    return true;
  } catch {
    return false;
  }
};

describe('advanceAndCommit', () => {
  it('commits the rows with the checkpoint and opens the next transaction', async () => {
    await client.query('BEGIN');
    await client.query('INSERT INTO public.rows_written VALUES (1), (2)');
    const position = { key: ["ab'cd"], clustering: ['\\x00'] };
    expect(await store.advanceAndCommit(client, { runId: RUN, splitId: 0, from: { token: null, position: null }, to: { token: -42n, position }, rows: 2, done: false }, true)).toMatchObject({ fenced: true });
    expect(await inTransactionBlock()).toBe(true);
    expect((await db.query('SELECT count(*)::int AS n FROM public.rows_written')).rows[0]).toEqual({ n: 2 });
    const [checkpoint] = (await store.readCheckpoints(db, RUN)).filter((c) => c.splitId === 0);
    expect(checkpoint).toMatchObject({ lastToken: -42n, position, rows: 2, done: false });
    // The open transaction carries on: the split's last commit ends it without beginning another.
    await client.query('INSERT INTO public.rows_written VALUES (3)');
    expect(await store.advanceAndCommit(client, { runId: RUN, splitId: 0, from: { token: -42n, position }, to: { token: 7n, position: null }, rows: 1, done: true }, false)).toMatchObject({ fenced: true });
    expect(await inTransactionBlock()).toBe(false);
    expect((await db.query('SELECT count(*)::int AS n FROM public.rows_written')).rows[0]).toEqual({ n: 3 });
  });

  it('a fence that does not hold commits nothing and leaves the transaction to roll back', async () => {
    await client.query('BEGIN');
    await client.query('INSERT INTO public.rows_written VALUES (100)');
    // Split 1 stands at the start; this attempt thinks it stood at token 5.
    expect(await store.advanceAndCommit(client, { runId: RUN, splitId: 1, from: { token: 5n, position: null }, to: { token: 9n, position: null }, rows: 1, done: false }, true)).toMatchObject({ fenced: false });
    await client.query('ROLLBACK');
    expect((await db.query('SELECT count(*)::int AS n FROM public.rows_written WHERE n = 100')).rows[0]).toEqual({ n: 0 });
    expect((await store.readCheckpoints(db, RUN)).find((c) => c.splitId === 1)).toMatchObject({ lastToken: null, rows: 0 });
  });

  it('a superseded run commits nothing', async () => {
    await db.query(`UPDATE c2y.runs SET status = 'superseded' WHERE run_id = $1`, [RUN]);
    await client.query('BEGIN');
    await client.query('INSERT INTO public.rows_written VALUES (200)');
    expect(await store.advanceAndCommit(client, { runId: RUN, splitId: 1, from: { token: null, position: null }, to: { token: 9n, position: null }, rows: 1, done: false }, true)).toMatchObject({ fenced: false });
    await client.query('ROLLBACK');
    expect((await db.query('SELECT count(*)::int AS n FROM public.rows_written WHERE n = 200')).rows[0]).toEqual({ n: 0 });
  });
});
