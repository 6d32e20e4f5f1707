import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { IdleConnections, type ServerInfo, type TargetClient } from '../../src/sink/index.js';
import { earlyTargetOf, streamsPerExecutor } from '../../src/task/index.js';

/** A target client without a server: it counts its end() calls and can be made to end on its own. */
function fakeClient(name: string): TargetClient & { ended: number; name: string } {
  const client = new EventEmitter() as EventEmitter & { ended: number; name: string; end(): Promise<void> };
  client.ended = 0;
  client.name = name;
  client.end = async () => {
    client.ended++;
  };
  return client as unknown as TargetClient & { ended: number; name: string };
}

const server: ServerInfo = { dialect: 'postgres', version: 'PostgreSQL 15', serverAddress: '127.0.0.1:5432' };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('an executor\'s kept target connections', () => {
  it('gives a node\'s kept connection to the next split on that node only', async () => {
    const idle = new IdleConnections(2);
    const a = fakeClient('a');
    idle.give('n1:5432', { client: a, server });
    expect(await idle.take('n2:5432')).toBeUndefined();
    expect(await idle.take('n1:5432')).toEqual({ client: a, server });
    expect(await idle.take('n1:5432')).toBeUndefined();
    expect(a.ended).toBe(0);
  });

  it('makes room by ending the connection that waited longest, not by refusing the newest', async () => {
    const idle = new IdleConnections(2);
    const [a, b, c] = [fakeClient('a'), fakeClient('b'), fakeClient('c')];
    idle.give('n1:5432', { client: a, server: undefined });
    idle.give('n1:5432', { client: b, server });
    idle.give('n2:5432', { client: c, server });
    expect(a.ended).toBe(1);
    expect(idle.waiting).toBe(2);
    expect((await idle.take('n2:5432'))?.client).toBe(c);
    expect((await idle.take('n1:5432'))?.client).toBe(b);
    expect(await idle.take('n1:5432')).toBeUndefined();
  });

  it('drops one that ends while it waits, and one that waited idleMs', async () => {
    const idle = new IdleConnections(4, 30);
    const [a, b] = [fakeClient('a'), fakeClient('b')];
    idle.give('n1:5432', { client: a, server });
    idle.give('n1:5432', { client: b, server });
    a.emit('end');
    expect(idle.waiting).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(idle.waiting).toBe(0);
    expect(b.ended).toBe(1);
    expect(await idle.take('n1:5432')).toBeUndefined();
  });

  it('a split waits for a connection still opening to its node, which comes without a server (its session not set up)', async () => {
    const idle = new IdleConnections(2);
    const a = fakeClient('a');
    let open: (client: TargetClient | undefined) => void = () => undefined;
    idle.expect('n1:5432', new Promise((resolve) => { open = resolve; }));
    const taking = idle.take('n1:5432');
    open(a);
    expect(await taking).toEqual({ client: a, server: undefined });
    await tick();
    // Claimed: not also kept as idle.
    expect(idle.waiting).toBe(0);
  });

  it('one opened that no split claimed waits as idle; one that failed to open leaves the split to connect itself', async () => {
    const idle = new IdleConnections(2);
    const a = fakeClient('a');
    idle.expect('n1:5432', Promise.resolve(a));
    idle.expect('n2:5432', Promise.resolve(undefined));
    expect(await idle.take('n2:5432')).toBeUndefined();
    await tick();
    expect(idle.waiting).toBe(1);
    expect(await idle.take('n1:5432')).toEqual({ client: a, server: undefined });
  });

  it('closeAll ends the waiting ones and those still opening, and ends any that opens afterwards', async () => {
    const idle = new IdleConnections(3);
    const [a, b, late] = [fakeClient('a'), fakeClient('b'), fakeClient('late')];
    let open: (client: TargetClient | undefined) => void = () => undefined;
    idle.give('n1:5432', { client: a, server });
    idle.expect('n1:5432', Promise.resolve(b));
    idle.expect('n2:5432', new Promise((resolve) => { open = resolve; }));
    await tick();
    const closing = idle.closeAll();
    open(late);
    await closing;
    expect([a.ended, b.ended, late.ended]).toEqual([1, 1, 1]);
    const after = fakeClient('after');
    idle.give('n1:5432', { client: after, server });
    expect(after.ended).toBe(1);
  });
});

describe('the target connections a prestarted executor opens while the run is planned', () => {
  const configOf = (flags: Record<string, string | number | boolean>) => loadConfig({ flags: {
    'source.keyspace': 'ks', 'source.table': 't', 'target.hosts': '10.0.0.1,10.0.0.2:5444,10.0.0.3', 'target.database': 'd', ...flags,
  } }).config;

  it('one per stream the executor will run, over the nodes in turn, each executor starting at another node', async () => {
    const config = configOf({ executors: 2, cores: 2, parallelism: 8 });
    const first = earlyTargetOf(config, 0);
    const second = earlyTargetOf(config, 1);
    expect(first?.count).toBe(2);
    expect(first?.endpoints.map((e) => e.key)).toEqual(['10.0.0.1:5432', '10.0.0.2:5444', '10.0.0.3:5432']);
    // Executor 1's streams are the 3rd and 4th: they start at the 3rd node.
    expect(second?.endpoints.map((e) => e.key)).toEqual(['10.0.0.3:5432', '10.0.0.1:5432', '10.0.0.2:5444']);
  });

  it('no more than the executor\'s share of the parallelism; the first node only without load balancing', async () => {
    expect(earlyTargetOf(configOf({ executors: 2, cores: 4, parallelism: 2 }), 0)?.count).toBe(1);
    const unbalanced = earlyTargetOf(configOf({ executors: 1, cores: 3, parallelism: 3, 'target.hosts': '10.0.0.1,10.0.0.2', 'target.loadBalance': false }), 1);
    expect(unbalanced?.endpoints.map((e) => e.key)).toEqual(['10.0.0.1:5432']);
    expect(unbalanced?.count).toBe(3);
  });

  it('none under target.maxConnectionsPerNode (every session counts against the cap), nor for hosts the plan will refuse', async () => {
    expect(earlyTargetOf(configOf({ 'target.maxConnectionsPerNode': 1 }), 0)).toBeUndefined();
    expect(earlyTargetOf(configOf({ 'target.hosts': 'bad:host:x' }), 0)).toBeUndefined();
  });
});

describe('the streams an executor runs at once, by which it opens and reserves ahead', () => {
  it('is its share of the run\'s streams, at most its cores, as the planner counts it', () => {
    expect(streamsPerExecutor(4, 2, 16)).toBe(4);
    expect(streamsPerExecutor(4, 2, 3)).toBe(2);
    // A one-split table: one stream, whatever the executors and cores (its page pool reserves two pages, not eight).
    expect(streamsPerExecutor(4, 2, 1)).toBe(1);
    expect(streamsPerExecutor(4, 1, 2)).toBe(2);
    expect(streamsPerExecutor(2, 8, 1)).toBe(1);
    expect(streamsPerExecutor(4, 2, 0)).toBe(0);
  });
});
