import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { C2yError } from '../../src/errors/index.js';
import { openTarget, RunLock, type TargetClient } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('runlock');
  await db.query('CREATE SCHEMA c2y');
});
afterAll(async () => db?.close());

const connect = (): Promise<TargetClient> => {
  const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.database': db.database, 'target.hosts': db.hosts.join(',') } });
  const [host, port] = (db.hosts[0] as string).split(':');
  return openTarget({ host: host as string, port: Number(port), key: db.hosts[0] as string }, config.target, 'run lock test');
};

/** The backend holding c2y's advisory lock on `target` in this database, if any. */
async function holderPid(target: string): Promise<number | undefined> {
  const found = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = $1 AND objid::bigint = (hashtext($2)::bigint & 4294967295)`,
    [0x63327931, target]);
  return found.rows[0]?.pid;
}

/** What the lock told its watcher, in order. */
function recorder(lock: RunLock): { notes: string[]; lost: () => C2yError | undefined } {
  const notes: string[] = [];
  let lost: C2yError | undefined;
  lock.watchWith({ dropped: () => notes.push('dropped'), retaken: () => notes.push('retaken'), lost: (error) => (lost = error) });
  return { notes, lost: () => lost };
}

describe('RunLock when its connection dies', () => {
  it('tells its watcher it was dropped, takes the lock again on a new connection, and says so', async () => {
    const lock = await RunLock.acquire(connect, 'c2y', 'db.public.retaken');
    try {
      const heard = recorder(lock);
      const first = await holderPid('db.public.retaken');
      await db.query('SELECT pg_terminate_backend($1)', [first]);
      await until('the lock held again', async () => heard.notes.includes('retaken'), 20_000);
      expect(heard.notes).toEqual(['dropped', 'retaken']);
      expect(await holderPid('db.public.retaken')).not.toBe(first);
      expect(heard.lost()).toBeUndefined();
    } finally {
      await lock.release();
    }
    expect(await holderPid('db.public.retaken')).toBeUndefined();
  });

  it('takes it again at once: its first try comes within a connect, not after a wait', async () => {
    const lock = await RunLock.acquire(connect, 'c2y', 'db.public.at_once');
    try {
      let afterMs = Number.NaN;
      lock.watchWith({ dropped: () => undefined, retaken: (ms) => (afterMs = ms), lost: () => undefined });
      await db.query('SELECT pg_terminate_backend($1)', [await holderPid('db.public.at_once')]);
      await until('the lock held again', async () => !Number.isNaN(afterMs), 20_000);
      // Before: never under ~250 ms (the first retry's wait), whatever the connection's cause of death.
      expect(afterMs).toBeLessThan(200);
    } finally {
      await lock.release();
    }
  });

  it('reports it lost, naming why, when another session took the table in the gap', async () => {
    // Its retakes connect slowly here (300 ms): another driver's session takes the lock meanwhile.
    let connects = 0;
    const slowAfterFirst = async (): Promise<TargetClient> => {
      if (connects++ > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      return connect();
    };
    const lock = await RunLock.acquire(slowAfterFirst, 'c2y', 'db.public.taken');
    const other = await connect();
    try {
      const heard = recorder(lock);
      await db.query('SELECT pg_terminate_backend($1)', [await holderPid('db.public.taken')]);
      await until('the other session to hold the lock', async () => (await other.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [0x63327931, 'db.public.taken'])).rows[0]?.ok === true, 5_000);
      await until('the lock to be reported lost', async () => heard.lost() !== undefined, 20_000);
      expect(heard.notes).toEqual(['dropped']);
      expect(heard.lost()?.code).toBe('RUN_LOCK_LOST');
      expect(heard.lost()?.message).toMatch(/another c2y driver is writing db\.public\.taken/);
    } finally {
      await other.end();
      await lock.release();
    }
  });
});
