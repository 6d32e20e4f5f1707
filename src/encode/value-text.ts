import { ownRecord, type CqlType, type ScalarName } from '../schema/index.js';
import { UnrepresentableValue, dateText, timestampText } from './calendar-text.js';
import { decimalText, inetText, uuidText } from './fast-text.js';

/**
 * The PostgreSQL input text of one Cassandra value (before COPY escaping). Returns undefined where the value
 * cannot be written as the column's type; the caller names the column.
 */
export type ValueText = (value: unknown) => string;

interface DriverDuration { months: number; days: number; nanoseconds: { toString(): string } }

const NANOS_PER_SECOND = 1_000_000_000n;

function durationText(value: unknown): string {
  const duration = value as DriverDuration;
  const nanos = BigInt(duration.nanoseconds.toString());
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const seconds = abs / NANOS_PER_SECOND;
  // PostgreSQL keeps microseconds; cutting here (not rounding there) matches what time does.
  const fraction = (abs % NANOS_PER_SECOND).toString().padStart(9, '0').slice(0, 6);
  return `${duration.months} mons ${duration.days} days ${negative ? '-' : ''}${seconds}.${fraction} secs`;
}

/** A float's PostgreSQL text: NaN, ±Infinity and -0 spelt out (String() says 0 for -0). */
export function floatText(value: unknown): string {
  const number = value as number;
  if (Number.isNaN(number)) return 'NaN';
  if (number === Infinity) return 'Infinity';
  if (number === -Infinity) return '-Infinity';
  return Object.is(number, -0) ? '-0' : String(number);
}

const toStringText: ValueText = (value) => String(value);

export const SCALAR_TEXT: Readonly<Record<ScalarName, ValueText>> = {
  ascii: (value) => value as string,
  text: (value) => value as string,
  bigint: toStringText,
  counter: toStringText,
  int: toStringText,
  smallint: toStringText,
  tinyint: toStringText,
  varint: toStringText,
  decimal: decimalText,
  float: floatText,
  double: floatText,
  boolean: (value) => (value ? 't' : 'f'),
  blob: (value) => `\\x${(value as Buffer).toString('hex')}`,
  date: dateText,
  time: toStringText,
  timestamp: timestampText,
  duration: durationText,
  uuid: uuidText,
  timeuuid: uuidText,
  inet: inetText,
};

/** `{"a","b",NULL}`: every element quoted, so commas, braces and spaces inside elements stay literal. */
export function arrayText(elementText: ValueText): ValueText {
  return (value) => {
    const items = value instanceof Set ? [...value] : Array.isArray(value) ? value : Array.from((value as { elements: ArrayLike<unknown> }).elements);
    let out = '{';
    for (let index = 0; index < items.length; index++) {
      if (index > 0) out += ',';
      const item = items[index];
      out += item === null || item === undefined ? 'NULL' : `"${withoutNul(elementText(item)).replace(/[\\"]/g, '\\$&')}"`;
    }
    return out + '}';
  };
}

/** JSON for jsonb columns: maps become objects keyed by the key's text, tuples arrays, UDTs objects by field. */
export function jsonValue(type: CqlType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'scalar': {
      if (type.name === 'text' || type.name === 'ascii' || type.name === 'boolean') return value;
      if (type.name === 'int' || type.name === 'smallint' || type.name === 'tinyint') return value;
      // jsonb numbers have no -0 (PostgreSQL stores it as 0): like NaN and ±Infinity, it goes as a string.
      if (type.name === 'float' || type.name === 'double') return Number.isFinite(value as number) && !Object.is(value, -0) ? value : floatText(value);
      if (type.name === 'decimal') return new RawJsonNumber(decimalText(value));
      if (['bigint', 'counter', 'varint'].includes(type.name)) return new RawJsonNumber(String(value));
      return SCALAR_TEXT[type.name](value);
    }
    case 'list':
    case 'set':
      return [...(value as Iterable<unknown>)].map((item) => jsonValue(type.element, item));
    case 'vector':
      return Array.from((value as { elements: ArrayLike<unknown> }).elements, (item) => jsonValue(type.element, item));
    case 'map': {
      const out = ownRecord<unknown>();
      for (const [key, item] of value as Map<unknown, unknown>) out[jsonMapKey(type.key, key)] = jsonValue(type.value, item);
      return out;
    }
    case 'tuple': {
      const elements = (value as { elements: unknown[] }).elements;
      return type.elements.map((elementType, index) => jsonValue(elementType, elements[index]));
    }
    case 'udt': {
      const record = value as Record<string, unknown>;
      const out = ownRecord<unknown>();
      for (const field of type.fields) out[field.name] = jsonValue(field.type, record[field.name]);
      return out;
    }
  }
}

/**
 * The object key a map key becomes in jsonb: a string as itself, any other value as its JSON text, numbers digit for
 * digit (a frozen list, tuple or UDT key holding bigint, varint or decimal included).
 */
export function jsonMapKey(keyType: CqlType, key: unknown): string {
  const keyJson = jsonValue(keyType, key);
  return typeof keyJson === 'string' ? keyJson : jsonText(keyJson);
}

/** A number JSON must carry digit for digit (bigint, varint, decimal), never through a double. */
export class RawJsonNumber {
  constructor(readonly text: string) {}
}

/** PostgreSQL text, text[] elements and jsonb strings cannot hold U+0000. */
function withoutNul(text: string): string {
  if (text.includes('\0')) throw new UnrepresentableValue('contains U+0000, which PostgreSQL text and jsonb cannot hold');
  return text;
}

export function jsonText(value: unknown): string {
  if (value instanceof RawJsonNumber) return value.text;
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(withoutNul(value));
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([key, item]) => `${JSON.stringify(withoutNul(key))}:${jsonText(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
