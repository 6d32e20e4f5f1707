import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import type { AgentLine, ChangeLine, LogPosition } from '../../src/cdc/agent-events.js';
import type { ChangeDecoder } from '../../src/cdc/change-decoder.js';
import { NodeFeed, type NodeLines } from '../../src/cdc/node-reader.js';

const change = (table: string, position: number): ChangeLine => ({ type: 'change', segment: 1, position, table: `ks.${table}`, key: '00000001' });

/** A feed whose agent is a list of lines, and what it was started with. */
function feedOf(lines: AgentLine[], tables: string[]): { feed: NodeFeed; startedFrom: Array<LogPosition | undefined> } {
  const startedFrom: Array<LogPosition | undefined> = [];
  const feed = new NodeFeed({
    config: configSchema.parse({ source: { keyspace: 'ks', table: tables[0] } }), node: { name: 'n1', yaml: 'cassandra.yaml', libDir: 'lib' }, tables, pollMs: 10,
    signal: new AbortController().signal,
    stream: async function* (options: Parameters<NodeLines>[0]) {
      startedFrom.push(options.from);
      expect(options.tables).toEqual(tables);
      for (const line of lines) yield { line, decoder: {} as ChangeDecoder };
    },
  });
  return { feed, startedFrom };
}

/**
 * A keyspace's live apply reads each node's log once for all its tables: one agent a node, each change to its own
 * table's apply, every table's position moving with the log (a commit records how far its table's changes were read).
 */
describe('NodeFeed', () => {
  it('hands each change to its table\'s reader, from the earliest committed position, skipping what a reader applied', async () => {
    const lines: AgentLine[] = [change('a', 10), change('b', 20), change('a', 30), change('b', 40), { type: 'caught-up', segment: 1, position: 50, at: Date.now(), rawBytes: 0, rawLimit: 1 }];
    const { feed, startedFrom } = feedOf(lines, ['a', 'b']);
    const taken: Record<string, number[]> = { a: [], b: [] };
    const signal = new AbortController().signal;
    const readerOf = (table: string, from: LogPosition) => feed.reader({ table, from, signal, ready: async () => undefined, onChange: (c) => taken[table]?.push(c.position) });
    const a = readerOf('a', { segment: 1, position: 5 });
    // b committed up to 20: the change at 20 is applied already.
    const b = readerOf('b', { segment: 1, position: 20 });
    await Promise.all([a.run(), b.run()]);
    expect(startedFrom).toEqual([{ segment: 1, position: 5 }]);
    expect(taken).toEqual({ a: [10, 30], b: [40] });
    expect(a.state.read).toEqual({ segment: 1, position: 50 });
    expect(b.state.read).toEqual({ segment: 1, position: 50 });
    expect([a.state.changesRead, b.state.changesRead]).toEqual([2, 1]);
    expect(a.state.caughtUpAt).not.toBeNull();
  });

  it('does not start its agent before every table has a reader (a later one could have committed earlier)', async () => {
    const { feed, startedFrom } = feedOf([change('a', 10)], ['a', 'b']);
    const signal = new AbortController().signal;
    const a = feed.reader({ table: 'a', from: { segment: 1, position: 8 }, signal, ready: async () => undefined, onChange: () => undefined });
    const running = a.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(startedFrom).toEqual([]);
    feed.reader({ table: 'b', from: { segment: 0, position: 3 }, signal, ready: async () => undefined, onChange: () => undefined });
    await running;
    expect(startedFrom).toEqual([{ segment: 0, position: 3 }]);
  });

  it('moves a reader waiting for room only after it took its change: the other table\'s position waits too', async () => {
    const { feed } = feedOf([change('a', 10), change('b', 20)], ['a', 'b']);
    const signal = new AbortController().signal;
    let open: () => void = () => undefined;
    const room = new Promise<void>((resolve) => (open = resolve));
    const a = feed.reader({ table: 'a', from: { segment: 0, position: 0 }, signal, ready: () => room, onChange: () => undefined });
    const b = feed.reader({ table: 'b', from: { segment: 0, position: 0 }, signal, ready: async () => undefined, onChange: () => undefined });
    const running = Promise.all([a.run(), b.run()]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect([a.state.read, b.state.read]).toEqual([{ segment: 0, position: 0 }, { segment: 0, position: 0 }]);
    open();
    await running;
    // Without a caught-up line the last change's mutation may go on: the readers stand at the change before it.
    expect([a.state.read, b.state.read]).toEqual([{ segment: 1, position: 10 }, { segment: 1, position: 10 }]);
  });

  it('moves no reader to a mutation\'s position before all its tables\' changes are taken (a batch over one partition key)', async () => {
    // One mutation at position 10 changes tables a and b. Were the readers at 10 once a took its change, a commit
    // while b waits for room would record 10 for b, and after a restart from there b's change would never come.
    const { feed } = feedOf([change('a', 10), change('b', 10), change('a', 20)], ['a', 'b']);
    const signal = new AbortController().signal;
    let open: () => void = () => undefined;
    const room = new Promise<void>((resolve) => (open = resolve));
    let aTook = false;
    const a = feed.reader({ table: 'a', from: { segment: 0, position: 0 }, signal, ready: async () => undefined, onChange: () => (aTook = true) });
    const b = feed.reader({ table: 'b', from: { segment: 0, position: 0 }, signal, ready: () => room, onChange: () => undefined });
    const running = Promise.all([a.run(), b.run()]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(aTook).toBe(true);
    expect([a.state.read, b.state.read]).toEqual([{ segment: 0, position: 0 }, { segment: 0, position: 0 }]);
    open();
    await running;
    // The change at 20 may share its mutation with one not yet read: the readers stand at 10 until a caught-up line.
    expect([a.state.read, b.state.read]).toEqual([{ segment: 1, position: 10 }, { segment: 1, position: 10 }]);
  });

  it('refuses a reader of a table it does not read, or a second reader of one', () => {
    const { feed } = feedOf([], ['a']);
    const reader = { from: { segment: 0, position: 0 }, signal: new AbortController().signal, ready: async () => undefined, onChange: () => undefined };
    expect(() => feed.reader({ ...reader, table: 'x' })).toThrow(/no place/);
    feed.reader({ ...reader, table: 'a' });
    expect(() => feed.reader({ ...reader, table: 'a' })).toThrow(/no place/);
  });
});
