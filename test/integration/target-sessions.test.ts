import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openTarget, type TargetClient, type TimeoutLift } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

let db: TestDatabase;

// A database whose every new session has a 1 ms statement_timeout (a new backend's first statement outlasts it) and a
// 300 ms idle_session_timeout (the server ends a session idle that long).
beforeAll(async () => {
  db = await createTestDatabase('timeouts');
  await db.query(`ALTER DATABASE ${db.database} SET statement_timeout = '1ms'`);
  await db.query(`ALTER DATABASE ${db.database} SET idle_session_timeout = '300ms'`);
});
afterAll(async () => db?.close());

async function open(lift: TimeoutLift): Promise<TargetClient> {
  const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.database': db.database, 'target.hosts': db.hosts.join(',') } });
  const [host, port] = (db.hosts[0] as string).split(':');
  return openTarget({ host: host as string, port: Number(port), key: db.hosts[0] as string }, config.target, `timeouts ${lift}`, lift);
}

/** The session's own values, read in one statement (which may itself be cancelled under 1 ms: then read again). */
async function settings(client: TargetClient): Promise<Record<string, string>> {
  for (;;) {
    try {
      const found = await client.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout')`);
      return Object.fromEntries(found.rows.map((row) => [row.name, row.setting]));
    } catch (error) {
      if ((error as { code?: unknown }).code !== '57014') throw error;
    }
  }
}

describe('openTarget lifts the server\'s timeouts as asked', () => {
  it('by default the idle-session one only: the session outlives its idle timeout, the user\'s statement_timeout stays', async () => {
    // Before: the lift was the caller's, and the driver's, the lock's and an executor's early connections had none.
    const client = await open('idle');
    try {
      await sleep(700);
      const now = await settings(client);
      expect(now['idle_session_timeout']).toBe('0');
      expect(now['statement_timeout']).toBe('1');
    } finally {
      await client.end();
    }
  });

  it('all of them for a long-working session, even when the lift\'s first try is cancelled by a 1 ms statement_timeout', async () => {
    // Before: one try, and a new backend's first statement outlasted 1 ms: TARGET_UNREACHABLE on this machine.
    for (let i = 0; i < 5; i++) {
      const client = await open('all');
      try {
        expect(await settings(client)).toEqual({ statement_timeout: '0', lock_timeout: '0', idle_in_transaction_session_timeout: '0', idle_session_timeout: '0' });
      } finally {
        await client.end();
      }
    }
  });

  it('none when the caller\'s first message lifts them: the server ends that session once idle', async () => {
    const client = await open('none');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await sleep(700);
    await expect(Promise.race([ended.then(() => 'ended'), sleep(2000).then(() => 'open')])).resolves.toBe('ended');
    await client.end().catch(() => undefined);
  });
});

describe('openTarget refused by the server', () => {
  it('says the SQLSTATE and its next step: no connection left for the database (53300), a database that is not there (3D000)', async () => {
    // Before: "check target.hosts, target.database, target.user and the password" whatever the server said.
    const limited = await createTestDatabase('nolimit');
    try {
      await limited.query(`ALTER DATABASE ${limited.database} CONNECTION LIMIT 0`);
      const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.database': limited.database, 'target.hosts': limited.hosts.join(',') } });
      const [host, port] = (limited.hosts[0] as string).split(':');
      const endpoint = { host: host as string, port: Number(port), key: limited.hosts[0] as string };
      // The limit spares superusers: c2y's user here is one, so a role without it is made for the test.
      await limited.query(`DO $$ BEGIN CREATE ROLE c2y_limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
      const refused = await openTarget(endpoint, { ...config.target, user: 'c2y_limited' }, 'limited').then(() => undefined, (error: unknown) => error as { code: string; message: string; hint: string });
      expect(refused?.code).toBe('TARGET_UNREACHABLE');
      expect(refused?.message).toMatch(/\(SQLSTATE 53300\)$/);
      expect(refused?.hint).toMatch(/^the target has no connection left \(max_connections, or a connection limit on the role or database\)/);
      const missing = await openTarget(endpoint, { ...config.target, database: `${limited.database}_gone` }, 'missing').then(() => undefined, (error: unknown) => error as { message: string; hint: string });
      expect(missing?.message).toMatch(/does not exist \(SQLSTATE 3D000\)$/);
      expect(missing?.hint).toMatch(/^the database does not exist on the target: create it, or fix target\.database/);
    } finally {
      await limited.close();
    }
  });
});
