import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ChainReader, sealed, streamIdOf } from '../../src/cdc/published-changes.js';
import { RunSigner } from '../../src/runner/index.js';

const signer = RunSigner.fromKey('published-chain-test-key-0123');
const KEY = 'c2y:cdc:ks:n1:changes';

/** A stream's entries as the publisher writes them: each names the one before it. */
function entry(position: number, prev: string, by: RunSigner = signer): [string, string[]] {
  const line = JSON.stringify({ type: 'change', segment: 7, position, table: 'ks.t', key: '00000001' });
  return [streamIdOf({ segment: 7, position }, 0), ['change', sealed(by, KEY, JSON.stringify({ line, prev }))]];
}

/** Just enough of Redis for XRANGE over a fixed list (exclusive start, inclusive end, COUNT). */
function fakeRedis(entries: Array<[string, string[]]>): Redis {
  const after = (id: string, start: string): boolean => BigInt(id.split('-')[1] as string) > BigInt(start.slice(1).split('-')[1] as string);
  return { xrange: async (_key: string, start: string, _end: string, _count: string, n: number) => entries.filter(([id]) => after(id, start)).slice(0, n) } as unknown as Redis;
}

async function readAll(reader: ChainReader): Promise<number[]> {
  const positions: number[] = [];
  for await (const { line } of reader.through('7-999999')) positions.push(line.position);
  return positions;
}

/**
 * Redis is a bus, not an authority: a published change must be signed with the run key and linked to the change
 * before it, so one taken out (a change lost to the apply) or put in stops the read instead of passing unseen.
 */
describe('published changes, read in a chain', () => {
  const e1 = entry(10, '0-0');
  const e2 = entry(20, e1[0]);
  const e3 = entry(30, e2[0]);

  it('reads an unbroken chain, from the start or after a position applied before', async () => {
    expect(await readAll(new ChainReader(fakeRedis([e1, e2, e3]), signer, KEY, undefined))).toEqual([10, 20, 30]);
    expect(await readAll(new ChainReader(fakeRedis([e1, e2, e3]), signer, KEY, { segment: 7, position: 10 }))).toEqual([20, 30]);
  });

  it('stops at a change taken out of the stream', async () => {
    await expect(readAll(new ChainReader(fakeRedis([e1, e3]), signer, KEY, undefined))).rejects.toThrow(/CDC_CHANGE_FORGED|follows .* but the change before it is/);
  });

  it('stops at a change another key signed', async () => {
    const forged = entry(40, e3[0], RunSigner.fromKey('someone-elses-key-0123456789'));
    await expect(readAll(new ChainReader(fakeRedis([e1, e2, e3, forged]), signer, KEY, undefined))).rejects.toThrow(/not signed with this C2Y_RUN_KEY/);
  });
});
