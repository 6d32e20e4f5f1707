import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import type { AgentLine, ChangeLine } from '../../src/cdc/agent-events.js';
import type { ChangeDecoder } from '../../src/cdc/change-decoder.js';
import { NodeFeed, type NodeReader } from '../../src/cdc/node-reader.js';

/**
 * The clock skew of a node (this machine's clock minus the node's) moves the TTL expiries read from its log. It was
 * measured only from caught-up lines, so changes read from a backlog before the first one were taken with no skew
 * (counted as 0): an expiry from a node 3 s behind was read again 3 s too early. The agent's table line, printed
 * before it reads, now carries the node's clock.
 */
describe('NodeReader clock skew', () => {
  it('is known from the agent\'s table line, before the first change is taken', async () => {
    const config = configSchema.parse({ source: { keyspace: 'ks', table: 't' } });
    const nodeClockBehindMs = 3000;
    const change: ChangeLine = { type: 'change', segment: 1, position: 10, table: 'ks.t', key: '00000001' };
    const lines: AgentLine[] = [{ type: 'table', table: 'ks.t', id: '5a1c395e-b41f-11e5-9f22-ba0be0483c18', at: Date.now() - nodeClockBehindMs }, change];
    const skewAtChange: Array<number | null> = [];
    const signal = new AbortController().signal;
    const feed = new NodeFeed({
      config, node: { name: 'n1', yaml: 'cassandra.yaml', libDir: 'lib' }, tables: ['t'], pollMs: 10, signal,
      stream: async function* () {
        for (const line of lines) yield { line, decoder: {} as ChangeDecoder };
      },
    });
    const reader: NodeReader = feed.reader({
      table: 't', from: { segment: 0, position: 0 }, signal, ready: async () => undefined,
      onChange: () => skewAtChange.push(reader.state.clockSkewMs),
    });
    await reader.run();
    expect(skewAtChange).toHaveLength(1);
    expect(skewAtChange[0]).toBeGreaterThanOrEqual(nodeClockBehindMs);
    expect(skewAtChange[0]).toBeLessThan(nodeClockBehindMs + 1000);
    // Its mutation may go on (another table's change at the same position): read stands before it until caught up.
    expect(reader.state.read).toEqual({ segment: 0, position: 0 });
  });
});
