import { daysFromCivil, localDateDays } from '../encode/index.js';
import { integerToBigInt } from '../encode/index.js';
import { ownRecord, quoteIdent, type CqlType, type ScalarName } from '../schema/index.js';
import { jsonMapKey } from '../encode/index.js';

/**
 * One column's canonical form, computed on each side from that side's own value: a SQL expression over the
 * PostgreSQL column, and a function over the Cassandra driver's value. Equal strings mean equal data under the
 * documented mapping. Neither goes through the COPY encoder, so the comparison checks it rather than repeats it.
 */
export interface CanonicalColumn {
  /** SQL yielding text (or NULL) for this column. */
  readonly sql: string;
  /** Text from the PostgreSQL result of `sql`. */
  fromPostgres(text: string | null): string;
  /** Text from the Cassandra driver's value. */
  fromCassandra(value: unknown): string;
}

/** No canonical text of a value can be this (PostgreSQL text cannot hold U+0000): a text '∅' is not a NULL. */
export const NULL = '\u0000null';

/** IPv6 text normalised the WHATWG way (lower case, longest zero run compressed); IPv4 unchanged. */
export function normalInet(text: string): string {
  return text.includes(':') ? new URL(`http://[${text}]`).hostname.slice(1, -1) : text;
}

/** (unscaled, scale) with trailing zeros stripped: 12.50 and 12.5 are one number. */
function normalDecimal(unscaled: bigint, scale: number): string {
  if (unscaled === 0n) return '0';
  let u = unscaled;
  let s = scale;
  while (u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return `${u}e${-s}`;
}

function decimalFromText(text: string): string {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const unscaled = BigInt(`${whole}${fraction}`) * (negative ? -1n : 1n);
  return normalDecimal(unscaled, fraction.length);
}

const floatText = (n: number): string => (Number.isNaN(n) ? 'NaN' : Object.is(n, -0) ? '-0' : String(n));

function pgFloat(text: string, single: boolean): string {
  const n = text === 'NaN' ? Number.NaN : text === 'Infinity' ? Infinity : text === '-Infinity' ? -Infinity : Number(text);
  return floatText(single ? Math.fround(n) : n);
}

interface Scalar { sql(column: string): string; pg(text: string): string; cassandra(value: unknown): string }

const asText: Scalar = { sql: (c) => `${c}::text`, pg: (t) => t, cassandra: (v) => String(v) };

const SCALARS: Readonly<Record<ScalarName, Scalar>> = {
  ascii: asText,
  text: asText,
  int: asText,
  smallint: asText,
  tinyint: asText,
  bigint: asText,
  counter: asText,
  varint: asText,
  decimal: {
    sql: (c) => `${c}::text`,
    pg: decimalFromText,
    cassandra: (v) => {
      const d = v as { _intVal: Parameters<typeof integerToBigInt>[0]; _scale: number };
      return normalDecimal(integerToBigInt(d._intVal), d._scale);
    },
  },
  float: { sql: (c) => `${c}::text`, pg: (t) => pgFloat(t, true), cassandra: (v) => floatText(Math.fround(v as number)) },
  double: { sql: (c) => `${c}::text`, pg: (t) => pgFloat(t, false), cassandra: (v) => floatText(v as number) },
  boolean: { sql: (c) => `${c}::text`, pg: (t) => (t === 'true' ? 'true' : 'false'), cassandra: (v) => String(v) },
  blob: { sql: (c) => `encode(${c}, 'hex')`, pg: (t) => t, cassandra: (v) => (v as Buffer).toString('hex') },
  // Days since the epoch and epoch milliseconds: numbers, so no date formatting is shared between the sides.
  date: { sql: (c) => `(${c} - date '1970-01-01')::text`, pg: (t) => t, cassandra: (v) => String(localDateDays(v as { date: Date })) },
  timestamp: { sql: (c) => `(extract(epoch FROM ${c}) * 1000)::bigint::text`, pg: (t) => t, cassandra: (v) => String((v as Date).getTime()) },
  // Microseconds since midnight: PostgreSQL's precision; the documented cut of Cassandra's nanoseconds.
  time: {
    sql: (c) => `(extract(epoch FROM ${c}) * 1000000)::bigint::text`,
    pg: (t) => t,
    cassandra: (v) => (BigInt(String((v as { value: unknown }).value)) / 1000n).toString(),
  },
  duration: {
    sql: (c) => `CASE WHEN ${c} IS NOT NULL THEN concat_ws('/', (extract(year FROM ${c}) * 12 + extract(month FROM ${c}))::bigint, extract(day FROM ${c})::bigint, ((extract(hour FROM ${c}) * 3600 + extract(minute FROM ${c}) * 60) * 1000000 + extract(microseconds FROM ${c}))::bigint) END`,
    pg: (t) => t,
    cassandra: (v) => {
      const d = v as { months: number; days: number; nanoseconds: { toString(): string } };
      const nanos = BigInt(d.nanoseconds.toString());
      return `${d.months}/${d.days}/${nanos / 1000n}`;
    },
  },
  uuid: asText,
  timeuuid: asText,
  inet: { sql: (c) => `host(${c})`, pg: normalInet, cassandra: (v) => normalInet(String(v)) },
};

/** The canonical text of a scalar that PostgreSQL wrote as a JSON string (to_jsonb of an array, or c2y's jsonb). */
function scalarFromJsonText(name: ScalarName, text: string): string {
  switch (name) {
    case 'timestamp':
      return String(timestampTextMs(text));
    case 'date':
      return String(dateTextDays(text));
    case 'time':
      return String(timeTextMicros(text));
    case 'duration':
      return durationTextCanonical(text);
    case 'blob':
      return text.replace(/^\\x/, '');
    case 'inet':
      return normalInet(text.replace(/\/(32|128)$/, ''));
    default:
      return text;
  }
}

const DATE_TEXT = /^(\d{4,})-(\d\d)-(\d\d)/;

/** Days since the epoch of 'YYYY-MM-DD' with any number of year digits and PostgreSQL's ' BC' suffix. */
export function dateTextDays(text: string): number {
  const match = DATE_TEXT.exec(text);
  if (!match) return Number.NaN;
  const year = Number(match[1]);
  return daysFromCivil(text.endsWith(' BC') ? 1 - year : year, Number(match[2]), Number(match[3]));
}

/** Epoch milliseconds of c2y's or PostgreSQL's timestamptz text: space or T, any year, an offset, ' BC'. */
export function timestampTextMs(text: string): number {
  const match = /^(\d{4,}-\d\d-\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?)?( BC)?$/.exec(text);
  if (!match) return Number.NaN;
  const days = dateTextDays(`${match[1]}${match[9] ?? ''}`);
  const millis = Number((match[5] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetMinutes = match[6] ? (match[6] === '-' ? -1 : 1) * (Number(match[7]) * 60 + Number(match[8] ?? 0)) : 0;
  return days * 86_400_000 + ((Number(match[2]) * 60 + Number(match[3])) * 60 + Number(match[4])) * 1000 + millis - offsetMinutes * 60_000;
}

/** Microseconds since midnight of 'HH:MM:SS[.fraction]' (nanoseconds, as c2y's jsonb keeps them, are cut). */
export function timeTextMicros(text: string): bigint {
  const match = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (!match) return -1n;
  const seconds = (BigInt(match[1] as string) * 60n + BigInt(match[2] as string)) * 60n + BigInt(match[3] as string);
  return seconds * 1_000_000n + BigInt((match[4] ?? '').padEnd(6, '0').slice(0, 6));
}

/**
 * months/days/microseconds of an interval, from c2y's jsonb text ('14 mons 3 days -3723.000004 secs') or
 * PostgreSQL's output ('1 year 2 mons 3 days -01:02:03.000004').
 */
export function durationTextCanonical(text: string): string {
  let months = 0n;
  let days = 0n;
  let micros = 0n;
  for (const [, amount, unit] of text.matchAll(/(-?\d+) (years?|mons?|days?)\b/g)) {
    const value = BigInt(amount as string);
    if ((unit as string).startsWith('year')) months += value * 12n;
    else if ((unit as string).startsWith('mon')) months += value;
    else days += value;
  }
  const seconds = /(-?)(\d+)(?:\.(\d+))? secs/.exec(text);
  const clock = /(-?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?/.exec(text);
  if (seconds) micros = BigInt(seconds[2] as string) * 1_000_000n + BigInt((seconds[3] ?? '').padEnd(6, '0').slice(0, 6));
  else if (clock) {
    const whole = (BigInt(clock[2] as string) * 60n + BigInt(clock[3] as string)) * 60n + BigInt(clock[4] as string);
    micros = whole * 1_000_000n + BigInt((clock[5] ?? '').padEnd(6, '0').slice(0, 6));
  }
  if ((seconds ?? clock)?.[1] === '-') micros = -micros;
  return `${months}/${days}/${micros}`;
}

/** JSON canonical text for jsonb and array columns: sorted object keys, numbers as exact text. */
function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The driver value as the documented jsonb/array mapping says it is stored, in canonical JSON. */
function cassandraJson(type: CqlType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'scalar': {
      const scalar = SCALARS[type.name];
      if (['int', 'smallint', 'tinyint', 'boolean', 'text', 'ascii'].includes(type.name)) return value;
      // As c2y writes them: -0, NaN and ±Infinity are strings in jsonb (its numbers have none of them).
      if (type.name === 'float' || type.name === 'double') return Number.isFinite(value as number) && !Object.is(value, -0) ? { num: floatText(type.name === 'float' ? Math.fround(value as number) : (value as number)) } : floatText(value as number);
      if (['bigint', 'counter', 'varint'].includes(type.name)) return { num: String(value) };
      if (type.name === 'decimal') return { dec: scalar.cassandra(value) };
      return { text: scalar.cassandra(value) };
    }
    case 'list':
    case 'set':
      return [...(value as Iterable<unknown>)].map((item) => cassandraJson(type.element, item));
    case 'vector':
      return Array.from((value as { elements: ArrayLike<unknown> }).elements, (item) => cassandraJson(type.element, item));
    case 'map': {
      const out = ownRecord<unknown>();
      // Object keys are text in jsonb: the documented key text of each value (timestamps, blobs, tuples, frozen
      // collections…), compared as written; the values under them are compared canonically.
      for (const [key, item] of value as Map<unknown, unknown>) out[jsonMapKey(type.key, key)] = cassandraJson(type.value, item);
      return out;
    }
    case 'tuple':
      return type.elements.map((elementType, index) => cassandraJson(elementType, (value as { elements: unknown[] }).elements[index]));
    case 'udt': {
      const out = ownRecord<unknown>();
      for (const field of type.fields) out[field.name] = cassandraJson(field.type, (value as Record<string, unknown>)[field.name]);
      return out;
    }
  }
}

/** The same shape from PostgreSQL's JSON (jsonb text, or to_jsonb of an array), read with exact numbers. */
function postgresJson(type: CqlType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'scalar': {
      if (['int', 'smallint', 'tinyint', 'boolean', 'text', 'ascii'].includes(type.name)) return typeof value === 'object' ? Number((value as { raw: string }).raw) : value;
      if (type.name === 'float' || type.name === 'double') {
        if (typeof value === 'string') return value;
        const number = pgFloat((value as { raw: string }).raw, type.name === 'float');
        // A float8[] element -0 arrives as a number, c2y's jsonb -0 as a string: one canonical form, the string.
        return number === '-0' ? '-0' : { num: number };
      }
      if (['bigint', 'counter', 'varint'].includes(type.name)) return { num: BigInt((value as { raw: string }).raw).toString() };
      if (type.name === 'decimal') return { dec: decimalFromText((value as { raw: string }).raw) };
      // Scalars inside JSON/arrays arrive in PostgreSQL's text form for their type.
      return { text: scalarFromJsonText(type.name, String(value)) };
    }
    case 'list':
    case 'set':
      return (value as unknown[]).map((item) => postgresJson(type.element, item));
    case 'vector':
      return (value as unknown[]).map((item) => postgresJson(type.element, item));
    case 'map': {
      const out = ownRecord<unknown>();
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = postgresJson(type.value, item);
      return out;
    }
    case 'tuple':
      return type.elements.map((elementType, index) => postgresJson(elementType, (value as unknown[])[index]));
    case 'udt': {
      const out = ownRecord<unknown>();
      for (const field of type.fields) out[field.name] = postgresJson(field.type, (value as Record<string, unknown>)[field.name]);
      return out;
    }
  }
}

/** JSON.parse that keeps every number's exact text (64-bit ints, decimals, floats) as { raw }. */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/g, (match, str: string | undefined) => (str ? str : `{"raw":"${match}"}`)));
}

export function canonicalColumn(name: string, type: CqlType, column = quoteIdent(name)): CanonicalColumn {
  if (type.kind === 'scalar') {
    const scalar = SCALARS[type.name];
    return {
      sql: scalar.sql(column),
      fromPostgres: (text) => (text === null ? NULL : scalar.pg(text)),
      fromCassandra: (value) => (value === null || value === undefined ? NULL : scalar.cassandra(value)),
    };
  }
  // Arrays via to_json: elements in their JSON form; scalars other than numbers/text/bool come out as strings.
  return {
    // to_json, not to_jsonb: jsonb numbers are numeric, which turns a float8[] element -0 into 0.
    sql: `to_json(${column})::text`,
    fromPostgres: (text) => (text === null ? NULL : canonicalJson(postgresJson(type, parseExactJson(text)))),
    fromCassandra: (value) => (value === null || value === undefined ? NULL : canonicalJson(cassandraJson(type, value))),
  };
}
