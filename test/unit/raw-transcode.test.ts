import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { ChunkWriter, INVALID_UTF8, NUL_FOUND, ValueEncodeError, copyEscape, createRawRowEncoder, createRowEncoder } from '../../src/encode/index.js';
import type { CqlType, ScalarName, SourceTable } from '../../src/schema/index.js';
import { EXACT_ENCODING, cellDecoder, zeroLengthIsNull, type DriverType } from '../../src/source/index.js';

/**
 * The raw fast path against the reference, cell bytes in: for every CQL type, the same COPY bytes as the driver's
 * decode followed by today's row encoder, and the same refusal (column and message) where there is one.
 */
const { dataTypes } = cassandra.types;
// Decoded as an executor's session decodes (the driver's codec with c2y's encoding options).
const decoder = cellDecoder({ options: { encoding: EXACT_ENCODING } });

const encodeCell = (value: unknown, type: number | DriverType): Buffer => (decoder as unknown as { encode(value: unknown, type: DriverType): Buffer }).encode(value, typeof type === 'number' ? { code: type } : type);

const SCALAR_CODES: Record<ScalarName, number> = {
  ascii: dataTypes.ascii, bigint: dataTypes.bigint, blob: dataTypes.blob, boolean: dataTypes.boolean, counter: dataTypes.counter,
  decimal: dataTypes.decimal, double: dataTypes.double, float: dataTypes.float, int: dataTypes.int, text: dataTypes.varchar,
  timestamp: dataTypes.timestamp, uuid: dataTypes.uuid, varint: dataTypes.varint, timeuuid: dataTypes.timeuuid, inet: dataTypes.inet,
  date: dataTypes.date, time: dataTypes.time, smallint: dataTypes.smallint, tinyint: dataTypes.tinyint, duration: dataTypes.duration,
};

function driverType(type: CqlType): DriverType {
  switch (type.kind) {
    case 'scalar': return { code: SCALAR_CODES[type.name] };
    case 'list': return { code: dataTypes.list, info: driverType(type.element) };
    case 'set': return { code: dataTypes.set, info: driverType(type.element) };
    case 'map': return { code: dataTypes.map, info: [driverType(type.key), driverType(type.value)] };
    case 'tuple': return { code: dataTypes.tuple, info: type.elements.map(driverType) };
    case 'udt': return { code: dataTypes.udt, info: { name: type.name, fields: type.fields.map((field) => ({ name: field.name, type: driverType(field.type) })) } };
    case 'vector': return { code: dataTypes.custom, customTypeName: 'vector', info: [driverType(type.element), type.dimension] } as DriverType;
    default: throw new Error(`no test type for ${JSON.stringify(type)}`);
  }
}

const scalar = (name: ScalarName): CqlType => ({ kind: 'scalar', name });

/** One cell: its bytes, or null. */
type Cell = Buffer | null;

const bytesOf = (size: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: size, maxLength: size }).map((b) => Buffer.from(b));
const int64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt.asIntN(64, n));
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
};
const varintBytes = (n: bigint): Buffer => {
  let hex = (n < 0n ? (1n << BigInt(8 * byteLength(n))) + n : n).toString(16);
  hex = hex.padStart(byteLength(n) * 2, n < 0n ? 'f' : '0');
  return Buffer.from(hex, 'hex');
};
function byteLength(n: bigint): number {
  let bytes = 1;
  while (n >= 1n << BigInt(8 * bytes - 1) || n < -(1n << BigInt(8 * bytes - 1))) bytes++;
  return bytes;
}

/** Integers at the 64-byte edge of writeIntegerNumeric (2^511 needs 65 bytes, -2^511 64) and powers of 10,000. */
const WIDE_INTEGERS: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(2n ** 511n - 1n, 2n ** 511n, -(2n ** 511n), -(2n ** 511n) - 1n, 10n ** 152n, -(10n ** 152n), 9999n, 10000n, -10000n, 0n, -1n, 255n, -128n, -129n, 65535n, -65536n),
  fc.bigInt(-(2n ** 520n), 2n ** 520n),
);

/** Text cells: valid strings (specials, NUL, astral), and arbitrary bytes (bad UTF-8). */
const textCell: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string({ unit: 'binary' }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom('', 'a\tb\\c\nd\re"f', 'NUL\u0000here', 'héllo wörld ✓ 𝄞').map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
);

function scalarCell(name: ScalarName): fc.Arbitrary<Buffer> {
  switch (name) {
    case 'int': return bytesOf(4);
    case 'smallint': return bytesOf(2);
    case 'tinyint': return bytesOf(1);
    case 'boolean': return bytesOf(1);
    case 'float': return fc.oneof(bytesOf(4), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1.1, 3e38).map((f) => { const b = Buffer.alloc(4); b.writeFloatBE(f); return b; }));
    case 'double': return fc.oneof(bytesOf(8), fc.double().map((f) => { const b = Buffer.alloc(8); b.writeDoubleBE(f); return b; }));
    case 'bigint':
    case 'counter': return fc.oneof(bytesOf(8), fc.bigInt(-(2n ** 60n), 2n ** 60n).map(int64), fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, -(2n ** 53n) - 1n).map(int64));
    // Around the limb path's 64-byte limit, and arbitrary bytes (non-minimal sign bytes, odd and even lengths, empty).
    case 'varint': return fc.oneof(fc.bigInt(-(2n ** 200n), 2n ** 200n).map(varintBytes), fc.bigInt(-1000n, 1000n).map(varintBytes), WIDE_INTEGERS.map(varintBytes),
      fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b)));
    case 'decimal': return fc.oneof(
      fc.tuple(fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(16_383, 16_384, -131_073, 2 ** 31 - 1)), fc.bigInt(-(2n ** 100n), 2n ** 100n)),
      // The common case both fast paths do in integer arithmetic: up to 6 bytes of unscaled value, 0 to 15 places.
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.oneof(fc.bigInt(-(2n ** 47n), 2n ** 47n - 1n), fc.bigInt(-100_000n, 100_000n))),
      fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(WIDE_INTEGERS, fc.bigInt(-(2n ** 64n), 2n ** 64n))),
    ).map(([scale, unscaled]) => Buffer.concat([int32(scale), varintBytes(unscaled)]));
    case 'uuid':
    case 'timeuuid': return bytesOf(16);
    case 'timestamp': return fc.oneof(bytesOf(8), fc.integer({ min: -62_135_596_800_000 - 1e12, max: 253_402_300_799_999 + 1e12 }).map((ms) => int64(BigInt(ms))),
      fc.constantFrom(-62_135_596_800_000, -62_135_596_800_001, 253_402_300_799_999, 253_402_300_800_000, 0, -1, 8.64e15, 8.64e15 + 1).map((ms) => int64(BigInt(ms))));
    case 'date': return fc.oneof(bytesOf(4), fc.integer({ min: -800_000, max: 3_000_000 }).map((d) => { const b = Buffer.alloc(4); b.writeUInt32BE(d + 2 ** 31); return b; }));
    case 'inet': return fc.oneof(bytesOf(4), bytesOf(16));
    case 'blob': return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    case 'text':
    case 'ascii': return textCell;
    case 'time': return fc.oneof(fc.bigInt(0n, 86_400_000_000_000n - 1n).map(int64), fc.constantFrom(0n, 1n, 120_000_000n, 86_399_999_999_999n, 86_400_000_000_000n, -1n).map(int64), bytesOf(8));
    case 'duration': return fc.oneof(
      fc.tuple(fc.integer(), fc.integer(), fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)).map(([months, days, nanos]) => encodeCell(new cassandra.types.Duration(months, days, cassandra.types.Long.fromString(String(nanos))), dataTypes.duration)),
      fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.bigInt(-(2n ** 40n), 2n ** 40n)).map(([months, days, nanos]) => encodeCell(new cassandra.types.Duration(months, days, cassandra.types.Long.fromString(String(nanos))), dataTypes.duration)),
      fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b)),
    );
  }
}

/** v4 collection bytes: element count, then each element's length and bytes (Cassandra sends no null elements; the driver cannot read them). */
function collectionCell(element: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.array(fc.oneof({ weight: 12, arbitrary: element }, { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) }), { maxLength: 6 })
    .map((items) => Buffer.concat([int32(items.length), ...items.flatMap((item) => (item === null ? [int32(-1)] : [int32(item.length), item]))]));
}

/**
 * Map keys as Cassandra holds them: distinct values in canonical bytes (one true, one NaN, minimal varints), so two
 * keys never meet as one JSON key; text keys include array-index-like ones, which a JS object lists first.
 */
function keyCell(name: ScalarName): fc.Arbitrary<Buffer> {
  const double = (size: 4 | 8) => fc.double().map((f) => { const b = Buffer.alloc(size); if (size === 4) b.writeFloatBE(f); else b.writeDoubleBE(f); return b; });
  switch (name) {
    case 'boolean': return fc.constantFrom(Buffer.from([0]), Buffer.from([1]));
    case 'float': return double(4);
    case 'double': return double(8);
    case 'text': return fc.oneof(textCell, fc.constantFrom('0', '1', '10', '2', '01', '-1', '4294967294', '4294967295', 'a', '').map((t) => Buffer.from(t)));
    default: return scalarCell(name);
  }
}

/** v4 map bytes: pair count, then each key's and value's length and bytes; keys distinct as Cassandra keeps them. */
function mapCell(key: ScalarName, value: fc.Arbitrary<Cell>): fc.Arbitrary<Buffer> {
  return fc.uniqueArray(fc.tuple(keyCell(key), value), { maxLength: 5, selector: ([k]) => k.toString('hex') })
    .map((pairs) => Buffer.concat([int32(pairs.length), ...pairs.flatMap(([k, v]) => [int32(k.length), k, ...(v === null ? [int32(-1)] : [int32(v.length), v])])]));
}

/** Tuple and UDT bytes: each element's length and bytes (-1 null); the last elements may be missing, as after an ALTER TYPE. */
function fieldsCell(items: readonly fc.Arbitrary<Cell>[]): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.tuple(...items), fc.integer({ min: 0, max: items.length }))
    .map(([cells, kept]) => Buffer.concat(cells.slice(0, kept === 0 ? cells.length : kept).flatMap((cell) => (cell === null ? [int32(-1)] : [int32(cell.length), cell]))));
}

function valueOf(type: CqlType): fc.Arbitrary<Buffer> {
  switch (type.kind) {
    case 'scalar': return scalarCell(type.name);
    case 'list':
    case 'set': return collectionCell(cellOf(type.element).map((c) => c ?? Buffer.alloc(0)));
    case 'map': return mapCell((type.key as { name: ScalarName }).name, cellOf(type.value));
    case 'tuple': return fieldsCell(type.elements.map(cellOf));
    case 'udt': return fieldsCell(type.fields.map((field) => cellOf(field.type)));
    // Elements back to back; now and then a cell of the wrong size (the driver's decode then decides).
    case 'vector': return fc.oneof({ weight: 8, arbitrary: fc.array(valueOf(type.element), { minLength: type.dimension, maxLength: type.dimension }).map((items) => Buffer.concat(items)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) });
    default: throw new Error(`no test cells for ${JSON.stringify(type)}`);
  }
}

function cellOf(type: CqlType): fc.Arbitrary<Cell> {
  return fc.oneof({ weight: 10, arbitrary: valueOf(type) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) });
}

function tableOf(types: readonly CqlType[], keys = 1): SourceTable {
  return {
    keyspace: 'k', name: 't', partitionKeys: types.slice(0, keys).map((_, index) => `c${index}`), clusteringKeys: [],
    columns: types.map((type, index) => ({ name: `c${index}`, type, role: index < keys ? 'partition' : 'regular' })),
  };
}

/** Either path's result: the COPY line, or the refusal's column and message. */
function outcome(run: (out: ChunkWriter) => number): string {
  const out = new ChunkWriter(4);
  try {
    const keyEnd = run(out);
    return `line ${JSON.stringify(out.take().toString('latin1'))} key ${keyEnd}`;
  } catch (error) {
    if (error instanceof ValueEncodeError) return `refused ${error.column}: ${error.reason}`;
    return `threw ${(error as Error).message}`;
  }
}

function compare(types: readonly CqlType[], cells: readonly Cell[], format: 'text' | 'binary' = 'text', keys = 1): void {
  const table = tableOf(types, keys);
  const driverTypes = [{ code: dataTypes.bigint }, ...types.map(driverType)];
  const all = [int64(-5n), ...cells];
  const starts = new Int32Array(all.length);
  const lengths = new Int32Array(all.length);
  const parts: Buffer[] = [Buffer.alloc(3)];
  let at = 3;
  // As the protocol lays a row out: each cell's length (-1: null), then its bytes.
  all.forEach((cell, index) => {
    parts.push(int32(cell === null ? -1 : cell.length));
    at += 4;
    starts[index] = at;
    lengths[index] = cell === null ? -1 : cell.length;
    if (cell !== null) {
      parts.push(cell);
      at += cell.length;
    }
  });
  const buffer = Buffer.concat([...parts, Buffer.alloc(2)]);
  const raw = createRawRowEncoder(table, {
    decode: (bytes, column) => decoder.decode(bytes, driverTypes[column + 1] as DriverType),
    emptyIsNull: types.map((type) => zeroLengthIsNull(driverType(type))), tokenCell: true,
  }, format);
  const fast = outcome((out) => raw.encode({ buffer, starts, lengths }, 0, out));
  const reference = outcome((out) => {
    const values = all.map((cell, index) => (cell === null ? null : decoder.decode(cell, driverTypes[index] as DriverType)));
    return createRowEncoder(table, format).encode(values, out);
  });
  expect(fast).toBe(reference);
}

const SCALARS: readonly ScalarName[] = ['int', 'smallint', 'tinyint', 'bigint', 'counter', 'varint', 'decimal', 'float', 'double', 'boolean', 'uuid', 'timeuuid', 'text', 'ascii', 'timestamp', 'date', 'time', 'duration', 'inet', 'blob'];

describe('raw cells → COPY text, against the reference path', () => {
  for (const name of SCALARS) {
    it(`${name}: same bytes or the same refusal`, () => {
      fc.assert(fc.property(cellOf(scalar('int')), cellOf(scalar(name)), cellOf(scalar('text')), (key, cell, after) => compare([scalar('int'), scalar(name), scalar('text')], [key, cell, after])), { numRuns: 1500 });
    });
  }

  for (const name of SCALARS) {
    it(`list<${name}> and set<${name}> as arrays: same bytes or the same refusal`, () => {
      const list: CqlType = { kind: 'list', element: scalar(name), frozen: false };
      const set: CqlType = { kind: 'set', element: scalar(name), frozen: true };
      fc.assert(fc.property(cellOf(list), cellOf(set), (a, b) => compare([scalar('int'), list, set], [int32(1), a, b])), { numRuns: 400 });
    });
  }

  it('counts cells that went by reference (a type with no transcoder)', () => {
    const listKey: CqlType = { kind: 'list', element: scalar('int'), frozen: true };
    const table = tableOf([scalar('int'), { kind: 'map', key: listKey, value: scalar('text'), frozen: false }, scalar('text')]);
    const raw = createRawRowEncoder(table, { decode: (bytes, column) => decoder.decode(bytes, driverType(table.columns[column]!.type)), emptyIsNull: [true, true, false], tokenCell: true });
    const map = encodeCell(new Map([[[1], 'a']]), { code: dataTypes.map, info: [{ code: dataTypes.list, info: { code: dataTypes.int } }, { code: dataTypes.varchar }] });
    const cells = [int64(1n), int32(3), map, Buffer.from('x')];
    const buffer = Buffer.concat(cells);
    const starts = Int32Array.from([0, 8, 12, 12 + map.length]);
    const lengths = Int32Array.from([8, 4, map.length, 1]);
    const out = new ChunkWriter();
    raw.encode({ buffer, starts, lengths }, 0, out);
    expect(out.take().toString()).toBe('3\t{"[1]":"a"}\tx\n');
    expect(raw.referenceColumns).toEqual(['c1']);
    expect(raw.referenceCells()).toBe(1);
  });
});

/** jsonb columns (maps, tuples, UDTs, nested collections): the raw JSON writers against jsonValue + jsonText. */
const JSONB_TYPES: ReadonlyArray<[string, CqlType]> = [
  ...SCALARS.filter((name) => name !== 'duration').map((name): [string, CqlType] => [`map<${name}, text>`, { kind: 'map', key: scalar(name), value: scalar('text'), frozen: false }]),
  ...SCALARS.map((name): [string, CqlType] => [`map<int, ${name}>`, { kind: 'map', key: scalar('int'), value: scalar(name), frozen: false }]),
  ['tuple<int, text, double, blob>', { kind: 'tuple', elements: [scalar('int'), scalar('text'), scalar('double'), scalar('blob')] }],
  ['tuple<timestamp, decimal, uuid, boolean, inet>', { kind: 'tuple', elements: [scalar('timestamp'), scalar('decimal'), scalar('uuid'), scalar('boolean'), scalar('inet')] }],
  ['udt with odd field names', { kind: 'udt', name: 'u', frozen: true, fields: [{ name: 'a', type: scalar('int') }, { name: 'x"y\\z', type: scalar('text') }, { name: 'é', type: scalar('float') }, { name: 'when', type: scalar('time') }, { name: 'd', type: scalar('duration') }] }],
  ['udt with an index-like field name (by reference)', { kind: 'udt', name: 'u', frozen: true, fields: [{ name: 'b', type: scalar('int') }, { name: '1', type: scalar('text') }] }],
  ['list<frozen<list<int>>>', { kind: 'list', frozen: false, element: { kind: 'list', frozen: true, element: scalar('int') } }],
  ['set<frozen<map<text, bigint>>>', { kind: 'set', frozen: false, element: { kind: 'map', frozen: true, key: scalar('text'), value: scalar('bigint') } }],
  ['map<text, frozen<list<varint>>>', { kind: 'map', frozen: false, key: scalar('text'), value: { kind: 'list', frozen: true, element: scalar('varint') } }],
  ['map<bigint, frozen<tuple<date, smallint>>>', { kind: 'map', frozen: false, key: scalar('bigint'), value: { kind: 'tuple', elements: [scalar('date'), scalar('smallint')] } }],
  ['list<frozen<udt>>', { kind: 'list', frozen: false, element: { kind: 'udt', name: 'v', frozen: true, fields: [{ name: 'k', type: scalar('ascii') }, { name: 'n', type: { kind: 'set', frozen: true, element: scalar('tinyint') } }] } }],
];

// Vector elements of a fixed size in Cassandra's serialization; smallint, tinyint and date are vint-prefixed there.
const FIXED_SIZE_SCALARS: readonly ScalarName[] = ['float', 'double', 'int', 'bigint', 'boolean', 'uuid', 'timeuuid', 'timestamp'];
const VARIABLE_SIZE_IN_VECTORS: readonly ScalarName[] = ['smallint', 'tinyint', 'date', 'text'];

for (const format of ['text', 'binary'] as const) {
  describe(`raw vectors → COPY ${format}, against the reference path`, () => {
    for (const name of FIXED_SIZE_SCALARS) {
      it(`vector<${name}, 3> as an array: same bytes or the same refusal`, () => {
        const vector: CqlType = { kind: 'vector', element: scalar(name), dimension: 3 };
        fc.assert(fc.property(cellOf(vector), (cell) => compare([scalar('int'), vector], [int32(2), cell], format)), { numRuns: 400 });
      });
    }

    it('leaves vectors of elements Cassandra sizes with a vint to the reference', () => {
      for (const name of VARIABLE_SIZE_IN_VECTORS) {
        const table = tableOf([scalar('int'), { kind: 'vector', element: scalar(name), dimension: 2 }]);
        expect(createRawRowEncoder(table, { decode: () => null, emptyIsNull: [true, true], tokenCell: true }, format).referenceColumns).toEqual(['c1']);
      }
    });
  });

  describe(`raw jsonb cells → COPY ${format}, against the reference path`, () => {
    for (const [name, type] of JSONB_TYPES) {
      it(`${name}: same bytes or the same refusal`, () => {
        fc.assert(fc.property(cellOf(type), cellOf(scalar('text')), (cell, after) => compare([scalar('int'), type, scalar('text')], [int32(7), cell, after], format)), { numRuns: 400 });
      });
    }

    it('writes jsonb without the reference for the common shapes', () => {
      const type: CqlType = { kind: 'map', key: scalar('int'), value: scalar('text'), frozen: false };
      const table = tableOf([scalar('int'), type]);
      const raw = createRawRowEncoder(table, { decode: (bytes, column) => decoder.decode(bytes, driverType(table.columns[column]!.type)), emptyIsNull: [true, true], tokenCell: true }, format);
      const map = encodeCell(new Map([[-1, 'a"b'], [10, 'c'], [2, 'd\\e']]), driverType(type));
      const buffer = Buffer.concat([int64(1n), int32(3), map]);
      const out = new ChunkWriter();
      raw.encode({ buffer, starts: Int32Array.from([0, 8, 12]), lengths: Int32Array.from([8, 4, map.length]) }, 0, out);
      const json = '{"2":"d\\\\e","10":"c","-1":"a\\"b"}';
      if (format === 'text') expect(out.take().toString()).toBe(`3\t${json.replace(/\\/g, '\\\\')}\n`);
      else expect(out.take().subarray(2 + 4 + 4 + 4 + 1).toString()).toBe(json);
      expect(raw.referenceColumns).toEqual([]);
      expect(raw.referenceCells()).toBe(0);
    });
  });
}

describe('raw cells → COPY binary, against the binary encoder of the driver\'s values', () => {
  for (const name of SCALARS) {
    it(`${name}: same bytes or the same refusal`, () => {
      fc.assert(fc.property(cellOf(scalar('int')), cellOf(scalar(name)), cellOf(scalar('text')), (key, cell, after) => compare([scalar('int'), scalar(name), scalar('text')], [key, cell, after], 'binary')), { numRuns: 1500 });
    });
  }

  for (const name of SCALARS) {
    it(`list<${name}> and set<${name}> as arrays: same bytes or the same refusal`, () => {
      const list: CqlType = { kind: 'list', element: scalar(name), frozen: false };
      const set: CqlType = { kind: 'set', element: scalar(name), frozen: true };
      fc.assert(fc.property(cellOf(list), cellOf(set), (a, b) => compare([scalar('int'), list, set], [int32(1), a, b], 'binary')), { numRuns: 400 });
    });
  }

  it('copies adjacent cells PostgreSQL takes as they are at once, with their lengths, also nulls, empty and odd-sized ones', () => {
    // Cells of any size now and then: a run copies at once only when every cell is null or of its type's size.
    const anyCell = (name: ScalarName): fc.Arbitrary<Cell> => fc.oneof({ weight: 6, arbitrary: cellOf(scalar(name)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) });
    const names: ScalarName[] = ['int', 'bigint', 'int', 'uuid', 'blob', 'smallint', 'timeuuid', 'counter', 'text', 'int'];
    const types = names.map(scalar);
    // The key's end falls inside a run (3 key columns: int, bigint, int), and the row's key end must still be right.
    for (const keys of [1, 3]) {
      // Odd sizes only before the text: the reference decodes every cell before it refuses one, the fast path in order.
      const cells = names.map((name, index) => (index < names.indexOf('text') ? anyCell(name) : cellOf(scalar(name))));
      fc.assert(fc.property(fc.tuple(...cells), (row) => compare(types, row, 'binary', keys)), { numRuns: 3000 });
    }
  });

  it('refuses U+0000 in text as the text path does, naming the column', () => {
    const nul = Buffer.from('a\u0000b', 'utf8');
    expect(() => compare([scalar('int'), scalar('text')], [int32(1), nul], 'binary')).not.toThrow();
    const table = tableOf([scalar('int'), scalar('text')]);
    const out = new ChunkWriter();
    expect(() => createRowEncoder(table, 'binary').encode([null, 1, 'a\u0000b'], out)).toThrow(ValueEncodeError);
  });
});

describe('UTF-8 checked while copying text', () => {
  // Bytes around every boundary of Unicode's table 3-7 (lead bytes, E0/ED/F0/F4 second bytes, continuations).
  const edgy = fc.constantFrom(0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff);
  const textBytes = fc.array(fc.oneof(edgy, fc.integer({ min: 1, max: 255 })), { maxLength: 10 }).map((bytes) => Buffer.from(bytes));

  // What the byte loop answers: a NUL ends the well-formed prefix; an invalid sequence before it (or one the NUL
  // cuts) is INVALID_UTF8.
  const expected = (cell: Buffer): number => {
    const nul = cell.indexOf(0);
    if (!isUtf8(nul >= 0 ? cell.subarray(0, nul) : cell)) return INVALID_UTF8;
    if (nul >= 0) return NUL_FOUND;
    return cell.some((byte) => byte >= 0x80) ? 2 : 0;
  };

  it('calls a cell well-formed exactly when isUtf8 does, and copies it unchanged', () => {
    fc.assert(fc.property(textBytes, (bytes) => {
      const out = new ChunkWriter();
      const status = out.escapedText(bytes, 0, bytes.length, false);
      expect(status === INVALID_UTF8).toBe(!isUtf8(bytes));
      if (status !== INVALID_UTF8) expect(out.take().toString('utf8')).toBe(copyEscape(bytes.toString('utf8')));
    }), { numRuns: 20_000 });
  });

  it('finds the first byte to check after a plain ASCII run of any length, in both formats', () => {
    // The fast path reads plain runs four bytes a step: a special byte at every offset of runs up to 40 bytes, and
    // the cell starting anywhere in its page (plain bytes before and after it).
    const specials = [[0x00], [0x80], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0x09], [0x0a], [0x5c], [0x22], [0x7f], [0xff]];
    for (let length = 0; length <= 40; length++) {
      for (let at = 0; at <= length; at++) {
        for (const special of specials) {
          const cell = Buffer.from([...Buffer.alloc(at, 0x61), ...(at < length ? special : []), ...Buffer.alloc(Math.max(0, length - at - 1), 0x62)]);
          const page = Buffer.concat([Buffer.from('xyz'), cell, Buffer.from('q')]);
          const binary = new ChunkWriter(4);
          const status = binary.checkedUtf8(page, 3, 3 + cell.length);
          expect(status === INVALID_UTF8, `${cell.toString('hex')}`).toBe(!isUtf8(cell));
          expect(status === NUL_FOUND).toBe(isUtf8(cell) && cell.includes(0));
          if (status !== INVALID_UTF8 && status !== NUL_FOUND) expect(binary.take().equals(cell)).toBe(true);
          const text = new ChunkWriter(4);
          const textStatus = text.escapedText(page, 3, 3 + cell.length, false);
          expect(textStatus === INVALID_UTF8).toBe(!isUtf8(cell));
          if (textStatus === 0 || textStatus === 2) expect(text.take().toString('utf8')).toBe(copyEscape(cell.toString('utf8')));
        }
      }
    }
  });

  it('checks long cells (native checks) with the same statuses as the byte loop: the first problem from the start wins', () => {
    const sprinkled = fc.tuple(fc.integer({ min: 0, max: 900 }), fc.array(fc.tuple(fc.nat(), fc.oneof(edgy, fc.constant(0))), { maxLength: 4 }))
      .map(([extra, hits]) => {
        const cell = Buffer.alloc(256 + extra, 0x61);
        for (const [at, byte] of hits) cell[at % cell.length] = byte;
        return cell;
      });
    fc.assert(fc.property(sprinkled, fc.constantFrom(...[...'é€🚀'].map((c) => Buffer.from(c))), (cell, wide) => {
      // Some cells get a well-formed multi-byte character too (NON_ASCII), written over the middle.
      if (cell.length % 3 === 0) wide.copy(cell, cell.length >> 1);
      const page = Buffer.concat([Buffer.from('xyz'), cell, Buffer.from('q')]);
      const out = new ChunkWriter(4);
      const status = out.checkedUtf8(page, 3, 3 + cell.length);
      expect(status, cell.toString('hex')).toBe(expected(cell));
      if (status === 0 || status === 2) expect(out.take().equals(cell)).toBe(true);
    }), { numRuns: 5_000 });
  });

  it('checks mid-size cells (a word at a time) with the byte loop\'s statuses, from any page offset, into a writer at any offset', () => {
    const cells = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.array(fc.tuple(fc.nat(), fc.oneof(edgy, fc.constant(0), fc.constant(0x01), fc.constant(0x7f))), { maxLength: 3 }))
      .map(([length, hits]) => {
        const cell = Buffer.alloc(length, 0x61);
        for (const [at, byte] of hits) if (length > 0) cell[at % length] = byte;
        return cell;
      });
    const writer = new ChunkWriter(64);
    const pages = [Buffer.alloc(0), Buffer.alloc(0)];
    fc.assert(fc.property(cells, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), (cell, pageOffset, written, otherPage) => {
      // Two page buffers taken in turn, as a task's pages come: the writer's view of its last source must follow.
      const index = otherPage ? 1 : 0;
      pages[index] = Buffer.concat([Buffer.alloc(pageOffset, 0x7a), cell, Buffer.from('q')]);
      for (let i = 0; i < written; i++) writer.byte(0x2e);
      const rewind = writer.length;
      const status = writer.checkedUtf8(pages[index] as Buffer, pageOffset, pageOffset + cell.length);
      expect(status, cell.toString('hex')).toBe(expected(cell));
      if (status === 0 || status === 2) expect(writer.take().subarray(rewind).equals(cell)).toBe(true);
      else {
        expect(writer.length).toBe(rewind);
        writer.take();
      }
      writer.reclaim();
    }), { numRuns: 20_000 });
  });

  it('checks mid-size text of many scripts (the rest after its first high byte natively) with the byte loop\'s statuses', () => {
    // Well-formed text of 8–255 bytes, then a NUL, a stray byte or a cut sequence at some point (or none).
    const spoiler = fc.option(fc.tuple(fc.nat(), fc.constantFrom(Buffer.from([0]), Buffer.from([0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]))), { nil: undefined });
    const cells = fc.tuple(fc.fullUnicodeString({ minLength: 2, maxLength: 120 }).map((text) => Buffer.from(text.replace(/\u0000/g, 'x'), 'utf8')), spoiler)
      .map(([text, spoil]) => {
        const cell = spoil === undefined ? text : Buffer.concat([text.subarray(0, spoil[0] % (text.length + 1)), spoil[1], text.subarray(spoil[0] % (text.length + 1))]);
        return cell.subarray(0, 255);
      })
      .filter((cell) => cell.length >= 8);
    const writer = new ChunkWriter(64);
    fc.assert(fc.property(cells, fc.integer({ min: 0, max: 7 }), (cell, pageOffset) => {
      const page = Buffer.concat([Buffer.alloc(pageOffset, 0x7a), cell, Buffer.from('q')]);
      const status = writer.checkedUtf8(page, pageOffset, pageOffset + cell.length);
      expect(status, cell.toString('hex')).toBe(expected(cell));
      if (status === 0 || status === 2) expect(writer.take().equals(cell)).toBe(true);
      else expect(writer.length).toBe(0);
      writer.take();
      writer.reclaim();
    }), { numRuns: 20_000 });
  });

  it('reads a sequence cut by the end of the cell as not UTF-8', () => {
    const euro = Buffer.from('€', 'utf8');
    const out = new ChunkWriter();
    expect(out.escapedText(euro, 0, 2, false)).toBe(INVALID_UTF8);
    expect(out.escapedText(euro, 0, 3, false)).toBe(2);
  });
});

describe('integers written as digits', () => {
  it('writes every safe integer as String() does: edges, powers of ten and random values', () => {
    const edges = [0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 1e8 - 1, 1e8, 1e8 + 1, 2 ** 53 - 1, -(2 ** 53 - 1), 123_456_789_012, 1e15, 1e15 + 7];
    const check = (n: number): void => {
      const out = new ChunkWriter();
      out.int(n);
      expect(out.take().toString('latin1')).toBe(String(n));
    };
    edges.forEach(check);
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => check(n)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer(), (n) => check(n)), { numRuns: 5_000 });
  });
});
