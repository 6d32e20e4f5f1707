import { createRequire } from 'node:module';
import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { C2yError } from '../../src/errors/index.js';
import { clientTokenOf, murmur3Token, rawScanPage, type CellDecoder, type RawPage } from '../../src/source/index.js';

const require = createRequire(import.meta.url);
/** The driver's own Murmur3 (what its token-aware routing uses): an implementation written apart from ours. */
const { Murmur3Tokenizer } = require('cassandra-driver/lib/tokenizer.js') as { Murmur3Tokenizer: new () => { hash(bytes: Buffer): { getValue(): { toString(): string } } } };
const driverTokenizer = new Murmur3Tokenizer();
const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

function driverToken(bytes: Buffer): bigint {
  const token = BigInt(driverTokenizer.hash(bytes).getValue().toString());
  return token === MIN ? MAX : token;
}

/** The driver's composite routing key (CompositeType), built by its encoder from the parts. */
function driverCompositeKey(parts: readonly Buffer[]): Buffer {
  let key: Buffer | null = null;
  const encoder = new (cassandra as unknown as { Encoder: new (version: number, options: unknown) => { setRoutingKeyFromUser(params: unknown[], options: unknown): void } }).Encoder(4, {});
  encoder.setRoutingKeyFromUser([], { getRoutingKey: () => [...parts], setRoutingKey: (value: Buffer) => { key = value; } });
  return key as unknown as Buffer;
}

/** A page of rows of `cellsPerRow` cells, each row's cells as given (null: a null cell). */
function pageOf(rows: ReadonlyArray<ReadonlyArray<Buffer | null>>): RawPage {
  const width = rows[0]?.length ?? 0;
  const parts: Buffer[] = [];
  const starts = new Int32Array(rows.length * width);
  const lengths = new Int32Array(rows.length * width);
  let at = 0;
  rows.flat().forEach((cell, index) => {
    at += 4;
    starts[index] = at;
    lengths[index] = cell === null ? -1 : cell.length;
    parts.push(Buffer.alloc(4), cell ?? Buffer.alloc(0));
    at += cell?.length ?? 0;
  });
  const columns = Array.from({ length: width }, (_, index) => ({ name: `c${index}`, type: { code: 0x0003 } }));
  return { buffer: Buffer.concat(parts), columns, rowCount: rows.length, starts, lengths, release: () => undefined } as unknown as RawPage;
}

const bytes = fc.uint8Array({ minLength: 1, maxLength: 80 }).map((array) => Buffer.from(array));

describe('partition tokens hashed from key bytes', () => {
  it('are Murmur3Partitioner\'s: the driver\'s own tokenizer agrees on any key, high bytes in the tail included', () => {
    fc.assert(fc.property(bytes, (key) => murmur3Token(key) === driverToken(key)), { numRuns: 3000 });
    // Every tail length, each byte ≥ 0x80 (Cassandra sign-extends tail bytes; a plain Murmur3 would differ here).
    for (let length = 1; length <= 40; length++) expect(murmur3Token(Buffer.alloc(length, 0xf3))).toBe(driverToken(Buffer.alloc(length, 0xf3)));
  });

  it('of a composite key hash its CompositeType form, as the driver routes it', () => {
    fc.assert(fc.property(fc.array(bytes, { minLength: 2, maxLength: 4 }), (parts) => {
      const page = pageOf([[Buffer.from('x'), ...parts]]);
      const tokenOf = clientTokenOf(page, parts.length + 1, { keyCells: parts.map((_, index) => index + 1), after: MIN, upTo: MAX, describe: 'test' });
      return tokenOf(0) === driverToken(driverCompositeKey(parts));
    }), { numRuns: 500 });
  });

  it('are hashed once per partition and stop the split on a token outside the statement\'s range or out of order', () => {
    const keys = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')].sort((x, y) => (murmur3Token(x) < murmur3Token(y) ? -1 : 1));
    const [low, mid, high] = keys.map((key) => murmur3Token(key)) as [bigint, bigint, bigint];
    const ordered = pageOf([[keys[0]!], [keys[0]!], [keys[1]!], [keys[2]!]]);
    const tokenOf = clientTokenOf(ordered, 1, { keyCells: [0], after: MIN, upTo: MAX, describe: 'test' });
    expect([0, 1, 2, 3, 1, 2].map(tokenOf)).toEqual([low, low, mid, high, low, mid]);
    // The range ]low, high]: the first row's token is its start, outside.
    expect(() => clientTokenOf(ordered, 1, { keyCells: [0], after: low, upTo: high, describe: 'test' })(0)).toThrow(C2yError);
    const reversed = clientTokenOf(pageOf([[keys[2]!], [keys[0]!]]), 1, { keyCells: [0], after: MIN, upTo: MAX, describe: 'test' });
    reversed(0);
    let error: unknown;
    try { reversed(1); } catch (caught) { error = caught; }
    expect(error).toMatchObject({ code: 'SOURCE_TOKEN_MISMATCH', exitCode: 70 });
  });

  it('a page read without token(…) gives the same values, nulls and int64s as one read with it', () => {
    const key = Buffer.from([0, 0, 0, 7]);
    const total = Buffer.alloc(8);
    total.writeBigInt64BE(-5n);
    const token = Buffer.alloc(8);
    token.writeBigInt64BE(murmur3Token(key));
    const decoder: CellDecoder = { decode: (cell) => cell.toString('hex') };
    const withToken = rawScanPage(pageOf([[token, key, null, total]]), decoder);
    const hashed = rawScanPage(pageOf([[key, null, total]]), decoder, { keyCells: [0], after: MIN, upTo: MAX, describe: 'test' });
    for (const page of [withToken, hashed]) {
      expect(page.values(0)).toEqual([murmur3Token(key), '00000007', null, 'fffffffffffffffb']);
      expect(page.values(0, 1)).toEqual([murmur3Token(key), '00000007', undefined, undefined]);
      expect([page.isNull(0, 0), page.isNull(0, 1), page.int64(0, 2)]).toEqual([false, true, -5]);
    }
  });
});
