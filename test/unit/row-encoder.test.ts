import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkWriter, copyEscape, createRowEncoder, ValueEncodeError } from '../../src/encode/index.js';
import type { CqlType, SourceTable } from '../../src/schema/index.js';

const { types } = cassandra;
const scalar = (name: string): CqlType => ({ kind: 'scalar', name } as CqlType);

function table(columns: Array<[string, CqlType]>): SourceTable {
  return { keyspace: 'k', name: 't', partitionKeys: [columns[0]![0]], clusteringKeys: [], columns: columns.map(([name, type], i) => ({ name, type, role: i === 0 ? 'partition' : 'regular' })) };
}

function encode(t: SourceTable, values: unknown[]): string {
  const writer = new ChunkWriter(8);
  createRowEncoder(t).encode([0n, ...values], writer);
  return writer.take().toString('utf8');
}

/** The reference: the COPY text rule written as plainly as possible. */
function referenceEscape(text: string): string {
  let out = '';
  for (const char of text) out += char === '\\' ? '\\\\' : char === '\n' ? '\\n' : char === '\r' ? '\\r' : char === '\t' ? '\\t' : char;
  return out;
}

describe('COPY text encoding', () => {
  it('escapes exactly like the reference for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(copyEscape(text)).toBe(referenceEscape(text));
    }), { numRuns: 2000 });
  });

  it('writes NULL as \\N, tabs between columns, one line per row, and grows its buffer', () => {
    const t = table([['id', scalar('int')], ['name', scalar('text')], ['big', scalar('bigint')], ['ok', scalar('boolean')]]);
    expect(encode(t, [1, 'a\tb\\c\nd', null, true])).toBe('1\ta\\tb\\\\c\\nd\t\\N\tt\n');
    expect(encode(t, [2, 'x'.repeat(1000), 2n ** 63n - 1n, false])).toBe(`2\t${'x'.repeat(1000)}\t9223372036854775807\tf\n`);
  });

  it('encodes scalars in PostgreSQL input syntax', () => {
    const t = table([
      ['id', scalar('int')], ['blob', scalar('blob')], ['ts', scalar('timestamp')], ['d', scalar('double')], ['f', scalar('float')],
      ['dur', scalar('duration')], ['time', scalar('time')], ['dec', scalar('decimal')], ['ip', scalar('inet')],
    ]);
    const line = encode(t, [
      1, Buffer.from([0, 255]), new Date('2024-01-02T03:04:05.678Z'), Number.NaN, Number.NEGATIVE_INFINITY,
      new types.Duration(14, 3, types.Long.fromString('-1500000000')), types.LocalTime.fromString('23:59:59.999999999'),
      types.BigDecimal.fromString('-12.50'), types.InetAddress.fromString('::1'),
    ]);
    expect(line).toBe('1\t\\\\x00ff\t2024-01-02 03:04:05.678+00\tNaN\t-Infinity\t14 mons 3 days -1.500000 secs\t23:59:59.999999\t-12.50\t::1\n');
  });

  it('writes lists and sets of scalars as quoted arrays, everything else as jsonb', () => {
    const t = table([
      ['id', scalar('int')],
      ['tags', { kind: 'set', element: scalar('text'), frozen: false }],
      ['m', { kind: 'map', key: scalar('int'), value: scalar('bigint'), frozen: false }],
      ['u', { kind: 'udt', name: 'a', frozen: true, fields: [{ name: 'x', type: scalar('text') }, { name: 'n', type: scalar('varint') }] }],
    ]);
    const line = encode(t, [1, new Set(['a,b', 'q"u\\o', '']), new Map([[1, 2n ** 70n]]), { x: 'tab\there', n: -(2n ** 80n) }]);
    expect(line).toBe('1\t{"a,b","q\\\\"u\\\\\\\\o",""}\t{"1":1180591620717411303424}\t{"x":"tab\\\\there","n":-1208925819614629174706176}\n');
  });

  it('refuses text with U+0000 and names the column', () => {
    const t = table([['id', scalar('int')], ['name', scalar('text')]]);
    expect(() => encode(t, [1, 'a\u0000b'])).toThrow(ValueEncodeError);
    expect(() => encode(t, [1, 'a\u0000b'])).toThrow(/"name"/);
  });
});

describe('U+0000 anywhere PostgreSQL would refuse it', () => {
  it('is caught in text arrays, jsonb strings and jsonb keys, naming the column', () => {
    const t = table([
      ['id', scalar('int')],
      ['tags', { kind: 'list', element: scalar('text'), frozen: false }],
      ['m', { kind: 'map', key: scalar('text'), value: scalar('text'), frozen: false }],
    ]);
    expect(() => encode(t, [1, ['ok', 'b\u0000d'], null])).toThrow(/"tags".*U\+0000/);
    expect(() => encode(t, [1, null, new Map([['k', 'v\u0000']])])).toThrow(/"m".*U\+0000/);
    expect(() => encode(t, [1, null, new Map([['k\u0000', 'v']])])).toThrow(/"m".*U\+0000/);
    expect(encode(t, [1, ['ok'], new Map([['k', 'v']])])).toBe('1\t{"ok"}\t{"k":"v"}\n');
  });
});

describe('decoded row size', () => {
  it('walks values: strings, buffers, nested collections, shared objects once', async () => {
    const { heapBytesOf, decodedRowBytes } = await import('../../src/encode/row-size.js');
    expect(heapBytesOf(null)).toBe(0);
    expect(heapBytesOf('abcd')).toBe(20);
    expect(heapBytesOf('ab€')).toBe(22);
    expect(heapBytesOf(Buffer.alloc(100))).toBe(196);
    const shared = Buffer.alloc(1000);
    expect(heapBytesOf([shared, shared])).toBe(24 + 8 + 1096 + 8);
    expect(heapBytesOf(new Map([['k', [1, 2]]]))).toBe(24 + 24 + 17 + (24 + 2 * (8 + 16)));
    const small = { a: 'x' };
    const big = { a: 'x'.repeat(10_000), b: new Set([Buffer.alloc(5000)]) };
    expect(decodedRowBytes([small, big])).toBe(Math.round((heapBytesOf(small) + heapBytesOf(big)) / 2));
    expect(heapBytesOf(big)).toBeGreaterThan(15_000);
  });
});

describe('user data as object keys', () => {
  it('a map key or UDT field named __proto__ (or constructor) stays a key of the jsonb, never the object\'s prototype', () => {
    const t = table([
      ['id', scalar('int')],
      ['m', { kind: 'map', key: scalar('text'), value: scalar('int'), frozen: false }],
      ['n', { kind: 'map', key: scalar('text'), value: { kind: 'map', key: scalar('text'), value: scalar('int'), frozen: true }, frozen: false }],
      ['u', { kind: 'udt', name: 'a', frozen: true, fields: [{ name: '__proto__', type: scalar('text') }, { name: 'x', type: scalar('int') }] }],
    ]);
    const line = encode(t, [1, new Map([['__proto__', 1], ['constructor', 2]]), new Map([['__proto__', new Map([['a', 1]])]]), JSON.parse('{"__proto__":"p","x":3}')]);
    expect(line).toBe('1\t{"__proto__":1,"constructor":2}\t{"__proto__":{"a":1}}\t{"__proto__":"p","x":3}\n');
  });
});
