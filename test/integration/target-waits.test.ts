import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openTarget, sampleTargetWaits, type TargetClient } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

// A run id holding LIKE's pattern characters: a LIKE match would also take the other run's `c2y runX1 …` backends.
const RUN = 'run_1';
let db: TestDatabase;
const clients: TargetClient[] = [];

async function connect(name: string): Promise<TargetClient> {
  const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.database': db.database, 'target.hosts': db.hosts.join(',') } });
  const [host, port] = (db.hosts[0] as string).split(':');
  const client = await openTarget({ host: host as string, port: Number(port), key: db.hosts[0] as string }, config.target, name);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  db = await createTestDatabase('waits');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY)');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await db?.close();
});

describe('sampleTargetWaits (real PostgreSQL)', () => {
  it('counts this run\'s backends by what they wait on, a keyspace run\'s tables included, and no other run\'s', async () => {
    const holder = await connect('not c2y');
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE');
    const blocked = await connect(`c2y ${RUN} split 1`);
    const waiting = blocked.query('SELECT count(*) FROM public.t');
    const idle = await connect(`c2y ${RUN}-t001 split 2`);
    await idle.query('BEGIN');
    const otherRun = await connect('c2y runX1 split 1');
    await otherRun.query('BEGIN');
    const observer = await connect('c2y driver');
    // The blocked query reaches its lock wait asynchronously: sample until it shows.
    let sample = await sampleTargetWaits(observer, RUN);
    for (let i = 0; i < 50 && !sample.waits.some((w) => w.wait.startsWith('Lock:')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sample = await sampleTargetWaits(observer, RUN);
    }
    expect([...sample.waits].sort((a, b) => a.wait.localeCompare(b.wait))).toEqual([
      { wait: 'idle in transaction', backends: 1 },
      { wait: 'Lock:relation', backends: 1 },
    ]);
    expect(sample.node).toMatch(/:\d+$/);
    await holder.query('COMMIT');
    await waiting;
  });

  it('names the node it looked at even when the run has no backend there (a run\'s first and last seconds)', async () => {
    const observer = await connect('c2y driver 2');
    const sample = await sampleTargetWaits(observer, 'no-such-run');
    expect(sample.waits).toEqual([]);
    expect(sample.node).toMatch(/:\d+$/);
  });
});
