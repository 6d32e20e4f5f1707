import { describe, expect, it } from 'vitest';
import { parseAgentLine, parsePosition } from '../../src/cdc/index.js';

/** The agent is another process: c2y believes only lines that are exactly its events. */
describe('CDC agent lines', () => {
  const change = { type: 'change', segment: 1796102451303, position: 75711, table: 'shop.orders', key: '00000004', rows: [{ clustering: ['00000001'], cells: [{ column: 'tags', ts: 1796102497503000, path: '6f6e6c79', value: '' }] }] };

  it('reads each kind of line the agent prints', () => {
    expect(parseAgentLine(JSON.stringify(change))).toMatchObject({ type: 'change', position: 75711 });
    expect(parseAgentLine('{"type":"caught-up","segment":0,"position":0,"at":1,"rawBytes":0,"rawLimit":268435456}')).toMatchObject({ type: 'caught-up' });
    expect(parseAgentLine('{"type":"segment-done","segment":7,"file":"/x/CommitLog-8-7.log"}')).toMatchObject({ type: 'segment-done' });
  });

  it('refuses a line that is not JSON, an unknown field, a value that is not hex, a negative position', () => {
    expect(() => parseAgentLine('INFO  Schema - loading')).toThrow(/not JSON/);
    expect(() => parseAgentLine(JSON.stringify({ ...change, extra: 1 }))).toThrow(/does not know/);
    expect(() => parseAgentLine(JSON.stringify({ ...change, key: 'zz' }))).toThrow(/does not know/);
    expect(() => parseAgentLine(JSON.stringify({ ...change, position: -1 }))).toThrow(/does not know/);
    expect(() => parseAgentLine(JSON.stringify({ ...change, rows: [{ clustering: [], cells: [{ column: 'v', value: 'abc' }] }] }))).toThrow(/does not know/);
    expect(() => parseAgentLine('{"type":"drop-table"}')).toThrow(/does not know/);
  });

  it('reads positions as the agent prints them, and refuses others', () => {
    expect(parsePosition('1796102451303:75711')).toEqual({ segment: 1796102451303, position: 75711 });
    expect(() => parsePosition('75711')).toThrow(/not a log position/);
    expect(() => parsePosition('-1:5')).toThrow(/not a log position/);
  });
});
