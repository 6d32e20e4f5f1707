import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TargetClient } from '../../src/sink/index.js';
import { EndConnection } from '../../src/workflow/index.js';

/** A stand-in for a pg client: an emitter that counts its end. */
function fakeClient(): TargetClient & { ended: number } {
  const client = Object.assign(new EventEmitter(), { ended: 0, end: async () => void client.ended++ });
  return client as unknown as TargetClient & { ended: number };
}

function opener(): { open: () => Promise<TargetClient>; made: Array<TargetClient & { ended: number }> } {
  const made: Array<TargetClient & { ended: number }> = [];
  return { made, open: async () => {
    const client = fakeClient();
    made.push(client);
    return client;
  } };
}

describe('the connection a run records its end on', () => {
  it('opened ahead once as the last splits stream, it is the one the end takes', async () => {
    const { open, made } = opener();
    const end = new EndConnection(open);
    end.openAhead();
    end.openAhead();
    expect(await end.take()).toBe(made[0]);
    expect(made).toHaveLength(1);
    // A retried take (the first connection failed the end's query) opens a new one.
    expect(await end.take()).toBe(made[1]);
  });

  it('not opened ahead (a run that ended before its last split began), the end opens its own', async () => {
    const { open, made } = opener();
    expect(await new EndConnection(open).take()).toBe(made[0]);
  });

  it('closed by the server while it waited, or waiting past its freshness, it is dropped for a new one', async () => {
    const { open, made } = opener();
    const closed = new EndConnection(open);
    closed.openAhead();
    await new Promise((resolve) => setImmediate(resolve));
    made[0]?.emit('end');
    expect(await closed.take()).toBe(made[1]);
    expect(made[0]?.ended).toBe(1);
    let now = 0;
    const stale = new EndConnection(open, 30_000, () => now);
    stale.openAhead();
    await new Promise((resolve) => setImmediate(resolve));
    now = 30_001;
    expect(await stale.take()).toBe(made[3]);
    expect(made[2]?.ended).toBe(1);
  });

  it('a failed open ahead is silent: the end opens again, and meets that attempt\'s error', async () => {
    let calls = 0;
    const end = new EndConnection(async () => {
      calls++;
      throw new Error(`refused ${calls}`);
    });
    end.openAhead();
    await expect(end.take()).rejects.toThrow('refused 2');
  });

  it('a run whose runner threw closes the connection opened ahead', async () => {
    const { open, made } = opener();
    const end = new EndConnection(open);
    end.openAhead();
    await end.close();
    expect(made[0]?.ended).toBe(1);
  });
});
