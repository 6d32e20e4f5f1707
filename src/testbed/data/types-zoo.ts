import cassandra from 'cassandra-driver';
import { SeededRandom } from './seeded-random.js';

const { types } = cassandra;

export function typesZooDdl(keyspace: string): string[] {
  return [
    `CREATE TYPE IF NOT EXISTS ${keyspace}.geo (lat double, lon double)`,
    `CREATE TYPE IF NOT EXISTS ${keyspace}.address (street text, city text, zip int, tags frozen<set<text>>, geo frozen<geo>)`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.types_zoo (
  id int,
  seq int,
  c_ascii ascii,
  c_text text,
  c_varchar varchar,
  c_bigint bigint,
  c_int int,
  c_smallint smallint,
  c_tinyint tinyint,
  c_varint varint,
  c_decimal decimal,
  c_float float,
  c_double double,
  c_boolean boolean,
  c_blob blob,
  c_date date,
  c_time time,
  c_timestamp timestamp,
  c_duration duration,
  c_uuid uuid,
  c_timeuuid timeuuid,
  c_inet inet,
  c_list list<int>,
  c_set set<text>,
  c_map map<text, int>,
  c_frozen_list frozen<list<text>>,
  c_frozen_set frozen<set<bigint>>,
  c_frozen_map frozen<map<int, text>>,
  c_nested map<text, frozen<list<frozen<set<int>>>>>,
  c_tuple tuple<int, text, double>,
  c_udt address,
  c_frozen_udt frozen<address>,
  c_vector vector<float, 3>,
  c_static text static,
  PRIMARY KEY ((id), seq)
)`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.types_zoo_counters (id int PRIMARY KEY, c_counter counter)`,
  ];
}

export const ZOO_ROWS_PER_PARTITION = 4;

export type ZooRow = Record<string, unknown>;

const TEXTS = ['', ' ', 'plain', 'tab\tnew\nline\rcr', 'back\\slash \\N', 'quote " and \'', 'ünïcödé 東京 🚀', 'a'.repeat(2000)] as const;

/** Row i of types_zoo: row 0 is all nulls, 1 the minimums, 2 the maximums, 3 empties, the rest random. */
export function typesZooRow(seed: number, index: number): ZooRow {
  const id = Math.floor(index / ZOO_ROWS_PER_PARTITION);
  const keys = { id, seq: index % ZOO_ROWS_PER_PARTITION };
  const staticValue = `static of partition ${id}`;
  if (index === 0) return { ...keys };
  if (index === 1) {
    return {
      ...keys, c_static: staticValue,
      c_ascii: '', c_text: '', c_varchar: '', c_bigint: -(2n ** 63n), c_int: -(2 ** 31), c_smallint: -32768, c_tinyint: -128,
      c_varint: -(2n ** 200n), c_decimal: types.BigDecimal.fromString('-123456789012345678901234567890.123456789012345678901234567890'),
      c_float: -3.4028234663852886e38, c_double: -Number.MAX_VALUE, c_boolean: false, c_blob: Buffer.alloc(0),
      c_date: types.LocalDate.fromString('0001-01-01'), c_time: types.LocalTime.fromString('00:00:00'),
      c_timestamp: new Date('0001-01-01T00:00:00.000Z'), c_duration: new types.Duration(-14, -3, types.Long.fromString('-1')),
      c_uuid: types.Uuid.fromString('00000000-0000-0000-0000-000000000000'),
      c_timeuuid: types.TimeUuid.fromString('00000000-0000-1000-8000-000000000000'),
      c_inet: types.InetAddress.fromString('0.0.0.0'),
      c_list: [-(2 ** 31)], c_set: new Set(['']), c_map: new Map([['', -(2 ** 31)]]),
      c_frozen_list: [], c_frozen_set: new Set<bigint>(), c_frozen_map: new Map<number, string>(),
      c_nested: new Map([['min', [new Set([-(2 ** 31)])]]]), c_tuple: new types.Tuple(null, null, null),
      c_udt: { street: null, city: null, zip: null, tags: null, geo: null },
      c_frozen_udt: { street: '', city: '', zip: 0, tags: new Set<string>(), geo: { lat: -90, lon: -180 } },
      c_vector: new types.Vector(new Float32Array([-3.4028234663852886e38, 0, -1.5]), 'float'),
    };
  }
  if (index === 2) {
    return {
      ...keys, c_static: staticValue,
      c_ascii: '~'.repeat(100), c_text: 'ünïcödé 東京 🚀', c_varchar: 'x'.repeat(10_000), c_bigint: 2n ** 63n - 1n, c_int: 2 ** 31 - 1,
      c_smallint: 32767, c_tinyint: 127, c_varint: 2n ** 200n,
      // BigDecimal.fromString ignores exponents; the constructor's typing says number but takes an Integer.
      c_decimal: new types.BigDecimal(types.Integer.fromString('1') as unknown as number, -400), c_float: 3.4028234663852886e38, c_double: Number.MAX_VALUE, c_boolean: true,
      c_blob: Buffer.from(Array.from({ length: 256 }, (_, b) => b)),
      c_date: types.LocalDate.fromString('9999-12-31'), c_time: types.LocalTime.fromString('23:59:59.999999999'),
      c_timestamp: new Date('9999-12-31T23:59:59.999Z'), c_duration: new types.Duration(1200, 30, types.Long.fromString('86399999999999')),
      c_uuid: types.Uuid.fromString('ffffffff-ffff-4fff-bfff-ffffffffffff'),
      c_timeuuid: types.TimeUuid.fromString('ffffffff-ffff-1fff-bfff-ffffffffffff'),
      c_inet: types.InetAddress.fromString('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
      c_list: [2 ** 31 - 1, 0, 2 ** 31 - 1], c_set: new Set(['z', 'a', 'm']), c_map: new Map([['zz', 1], ['aa', 2]]),
      c_frozen_list: ['x', 'x', ''], c_frozen_set: new Set([2n ** 63n - 1n, -(2n ** 63n)]), c_frozen_map: new Map([[2 ** 31 - 1, 'max'], [-(2 ** 31), 'min']]),
      c_nested: new Map([['deep', [new Set([1, 2]), new Set([2 ** 31 - 1])]]]), c_tuple: new types.Tuple(2 ** 31 - 1, '東京', Number.MAX_VALUE),
      c_udt: { street: 'Hauptstraße 1', city: 'Zürich', zip: 8001, tags: new Set(['a', 'b']), geo: { lat: 47.37, lon: 8.54 } },
      c_frozen_udt: { street: 'x', city: 'y', zip: 2 ** 31 - 1, tags: new Set(['only']), geo: { lat: 90, lon: 180 } },
      c_vector: new types.Vector(new Float32Array([3.4028234663852886e38, 1.401298464324817e-45, 1.5]), 'float'),
    };
  }
  if (index === 3) {
    return {
      ...keys, c_static: staticValue,
      c_ascii: '', c_text: '', c_varchar: '', c_blob: Buffer.alloc(0), c_frozen_list: [], c_frozen_set: new Set<bigint>(),
      c_frozen_map: new Map<number, string>(), c_double: Number.NaN, c_float: Number.POSITIVE_INFINITY,
      c_inet: types.InetAddress.fromString('::1'), c_decimal: types.BigDecimal.fromString('0.000'),
      c_varint: 0n, c_duration: new types.Duration(0, 0, types.Long.fromString('0')),
    };
  }
  const random = new SeededRandom(seed, 1_000_000 + index);
  const text = random.pick(TEXTS);
  return {
    ...keys,
    c_static: staticValue,
    c_ascii: random.words(2).replace(/[^\x20-\x7e]/g, '?'),
    c_text: text,
    c_varchar: random.words(random.int(1, 6)),
    c_bigint: BigInt(random.int(-(2 ** 31), 2 ** 31 - 1)) * BigInt(random.int(1, 2 ** 31 - 1)),
    c_int: random.int(-(2 ** 31), 2 ** 31 - 1),
    c_smallint: random.int(-32768, 32767),
    c_tinyint: random.int(-128, 127),
    c_varint: BigInt(random.int(-(2 ** 31), 2 ** 31 - 1)) ** BigInt(random.int(1, 5)),
    c_decimal: types.BigDecimal.fromString(`${random.bool() ? '-' : ''}${random.int(0, 2 ** 31 - 1)}.${random.int(0, 99_999_999)}`),
    c_float: Math.fround((random.float() - 0.5) * 1e6),
    c_double: (random.float() - 0.5) * 1e300,
    c_boolean: random.bool(),
    c_blob: random.bytes(random.int(0, 64)),
    c_date: types.LocalDate.fromDate(new Date(Date.UTC(random.int(1900, 2100), random.int(0, 11), random.int(1, 28)))),
    c_time: types.LocalTime.fromString(`${String(random.int(0, 23)).padStart(2, '0')}:${String(random.int(0, 59)).padStart(2, '0')}:${String(random.int(0, 59)).padStart(2, '0')}.${String(random.int(0, 999_999_999)).padStart(9, '0')}`),
    c_timestamp: new Date(Date.UTC(2000, 0, 1) + random.int(0, 2 ** 31 - 1) * 1000 + random.int(0, 999)),
    c_duration: new types.Duration(random.int(0, 24), random.int(0, 60), types.Long.fromString(String(random.int(0, 2 ** 31 - 1) * 1000 + random.int(0, 999)))),
    c_uuid: new types.Uuid(Buffer.from(random.bytes(16).map((b, i) => (i === 6 ? (b & 0x0f) | 0x40 : i === 8 ? (b & 0x3f) | 0x80 : b)))),
    c_timeuuid: types.TimeUuid.fromDate(new Date(Date.UTC(2020, 0, 1) + random.int(0, 2 ** 30)), random.int(0, 9999), random.bytes(6), random.bytes(2)),
    c_inet: random.bool()
      ? types.InetAddress.fromString(`${random.int(1, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(0, 255)}`)
      : types.InetAddress.fromString(`2001:db8:${random.int(0, 65535).toString(16)}::${random.int(1, 65535).toString(16)}`),
    c_list: Array.from({ length: random.int(1, 4) }, () => random.int(-1000, 1000)),
    c_set: new Set(Array.from({ length: random.int(1, 4) }, () => random.words(1))),
    c_map: new Map(Array.from({ length: random.int(1, 3) }, (_, k) => [`k${k}-${random.words(1)}`, random.int(-5, 5)] as const)),
    c_frozen_list: Array.from({ length: random.int(0, 3) }, () => random.pick(TEXTS)),
    c_frozen_set: new Set(Array.from({ length: random.int(0, 3) }, () => BigInt(random.int(-(2 ** 31), 2 ** 31 - 1)))),
    c_frozen_map: new Map(Array.from({ length: random.int(0, 3) }, () => [random.int(-100, 100), random.words(1)] as const)),
    c_nested: new Map([[random.words(1), [new Set([random.int(0, 9)]), new Set([random.int(10, 19), random.int(20, 29)])]]]),
    c_tuple: new types.Tuple(random.int(-100, 100), random.words(1), random.float()),
    c_udt: { street: random.words(2), city: random.words(1), zip: random.int(1000, 99999), tags: new Set([random.words(1)]), geo: { lat: random.float() * 90, lon: random.float() * 180 } },
    c_frozen_udt: { street: random.words(2), city: random.words(1), zip: random.int(1000, 99999), tags: null, geo: null },
    c_vector: new types.Vector(new Float32Array([random.float(), -random.float(), random.int(-10, 10)]), 'float'),
  };
}

/**
 * What Cassandra returns for a written zoo row: a non-frozen UDT whose fields are all null is stored as no cells
 * and reads back as null.
 */
export function zooReadBack(row: ZooRow): ZooRow {
  const udt = row['c_udt'];
  const allNull = udt !== null && typeof udt === 'object' && Object.values(udt).every((field) => field === null);
  return allNull ? { ...row, c_udt: null } : row;
}

/** Counter value for row i of types_zoo_counters. */
export function zooCounter(seed: number, index: number): bigint {
  if (index === 0) return 0n;
  if (index === 1) return -(2n ** 62n);
  if (index === 2) return 2n ** 62n;
  const random = new SeededRandom(seed, 2_000_000 + index);
  return BigInt(random.int(-(2 ** 31), 2 ** 31 - 1));
}
