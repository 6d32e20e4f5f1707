import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { CopyIn, checkCopiedRows, openTarget, type TargetClient } from '../../src/sink/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

let db: TestDatabase;
let client: TargetClient;

beforeAll(async () => {
  db = await createTestDatabase('copyin');
  await db.query('CREATE TABLE public.nums (id integer PRIMARY KEY, v numeric)');
  const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.database': db.database, 'target.hosts': db.hosts.join(',') } });
  const [host, port] = (db.hosts[0] as string).split(':');
  client = await openTarget({ host: host as string, port: Number(port), key: db.hosts[0] as string }, config.target, 'copyin test');
});
afterAll(async () => {
  await client?.end();
  await db?.close();
});

/** Waits until PostgreSQL's refusal has reached the client, with nothing left to write. */
const refusalArrives = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

describe('CopyIn after the server refused the COPY', () => {
  it('finish() with nothing buffered rejects with the server\'s error instead of crashing the process', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      await client.query('BEGIN');
      const copy = CopyIn.start(client, 'COPY public.nums (id, v) FROM STDIN');
      await copy.write(Buffer.from('1\t1\n2\tnot-a-number\n'));
      await refusalArrives();
      await expect(copy.finish()).rejects.toMatchObject({ code: '22P02' });
      await copy.abort('c2y: test');
      await client.query('ROLLBACK');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
      // The connection is still good for the next transaction.
      await client.query('BEGIN');
      const next = CopyIn.start(client, 'COPY public.nums (id, v) FROM STDIN');
      await next.write(Buffer.from('3\t3\n'));
      await next.finish();
      await client.query('COMMIT');
      expect((await db.query('SELECT id FROM public.nums')).rows).toEqual([{ id: 3 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('CopyIn.flushed', () => {
  it('is false while a written chunk is still held in this process, and true once every byte reached the kernel', async () => {
    await client.query('BEGIN');
    const copy = CopyIn.start(client, 'COPY public.nums (id, v) FROM STDIN');
    // 16 MiB of rows: more than a loopback socket takes at once, so some of it waits in the socket's own buffer.
    const lines = Array.from({ length: 1_200_000 }, (_, i) => `${1000 + i}\t${i}\n`).join('');
    const chunk = Buffer.from(lines);
    // Before PostgreSQL's CopyInResponse pg-copy-streams keeps the chunk itself: the buffer is not free.
    const writing = copy.write(chunk);
    expect(copy.flushed()).toBe(false);
    await writing;
    let seen = copy.flushed();
    for (let wait = 0; !seen && wait < 100; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = copy.flushed();
    }
    expect(seen).toBe(true);
    await copy.finish();
    await client.query('ROLLBACK');
  });
});

describe('the rows the server says a COPY took', () => {
  it('finish() resolves with the count of the server\'s CommandComplete, which the split checks against the rows it sent', async () => {
    await client.query('BEGIN');
    const copy = CopyIn.start(client, 'COPY public.nums (id, v) FROM STDIN');
    await copy.write(Buffer.from('5000001\t1\n5000002\t2\n5000003\t3\n'));
    const taken = await copy.finish();
    await client.query('ROLLBACK');
    expect(taken).toBe(3);
    expect(() => checkCopiedRows(taken, 3, 7)).not.toThrow();
    // One line fewer on the server than c2y counted: the transaction fails before its checkpoint can advance.
    expect(() => checkCopiedRows(taken, 4, 7)).toThrow(expect.objectContaining({ code: 'TARGET_COPY_COUNT_MISMATCH', retryable: true, context: { split: 7, taken: 3, sent: 4 } }));
    // A reply without a count cannot be checked here (the run's final count still is).
    expect(() => checkCopiedRows(undefined, 4, 7)).not.toThrow();
  });
});
