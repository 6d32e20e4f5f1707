import { pgTypeOf, type CqlType, type ScalarName } from '../schema/index.js';
import { PG_MAX_DATE_DAY, PG_MAX_TIMESTAMP_DAY, PG_MIN_DAY, UnrepresentableValue, localDateDays } from './calendar-text.js';
import type { ChunkWriter } from './chunk-writer.js';
import { ValueEncodeError } from './encode-error.js';
import { integerToBigInt } from './fast-text.js';
import { scalarOid } from './binary-types.js';
import { writeBigNumeric } from './binary-numeric.js';
import { jsonText, jsonValue } from './value-text.js';

/** A driver value → its COPY binary field (length, then bytes); throws ValueEncodeError as the text encoders do. */
export type BinaryEncoder = (value: unknown, out: ChunkWriter) => void;

/** Days and microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
export const PG_EPOCH_DAYS = 10_957;
export const PG_EPOCH_MICROS = 946_684_800_000_000n;
const MS_PER_DAY = 86_400_000;

interface DriverLong { readonly high: number; readonly low: number }

export function writeInt64(out: ChunkWriter, value: bigint): void {
  out.int32(8);
  out.int32(Number(BigInt.asIntN(32, value >> 32n)));
  out.int32(Number(BigInt.asUintN(32, value)));
}

function bigOf(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (value !== null && typeof value === 'object' && 'bits_' in value) return integerToBigInt(value as Parameters<typeof integerToBigInt>[0]);
  return BigInt(String(value));
}

function int64Value(value: unknown, out: ChunkWriter): void {
  const long = value as DriverLong;
  if (typeof value === 'object' && value !== null && typeof long.high === 'number') {
    out.int32(8);
    out.int32(long.high);
    out.int32(long.low);
  } else writeInt64(out, bigOf(value));
}

function textValue(nulMessage: string): (column: string) => BinaryEncoder {
  return (column) => (value, out) => {
    const text = value as string;
    if (text.includes('\0')) throw new ValueEncodeError(column, nulMessage);
    out.int32(Buffer.byteLength(text, 'utf8'));
    out.utf8(text);
  };
}

function timestampValue(column: string): BinaryEncoder {
  return (value, out) => {
    const ms = (value as Date).getTime();
    if (Number.isNaN(ms)) throw new ValueEncodeError(column, 'timestamp is outside the range a JavaScript Date holds (±273,790 years)');
    const days = Math.floor(ms / MS_PER_DAY);
    if (days < PG_MIN_DAY || days > PG_MAX_TIMESTAMP_DAY) throw new ValueEncodeError(column, `timestamp ${ms} ms is outside PostgreSQL's timestamptz range (4714-11-24 BC to 294276-12-31)`);
    writeInt64(out, BigInt(ms) * 1000n - PG_EPOCH_MICROS);
  };
}

function dateValue(column: string): BinaryEncoder {
  return (value, out) => {
    const days = localDateDays(value as { date: Date; _value?: number | null });
    if (days < PG_MIN_DAY || days > PG_MAX_DATE_DAY) throw new ValueEncodeError(column, `date ${String(value)} is outside PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)`);
    out.int32(4);
    out.int32(days - PG_EPOCH_DAYS);
  };
}

/** Nanoseconds cut to microseconds (towards zero), as the text path's time and duration texts are. */
const microsOf = (nanos: unknown): bigint => bigOf(nanos) / 1000n;

const SCALAR_BINARY: Readonly<Record<ScalarName, (column: string, nulMessage: string) => BinaryEncoder>> = {
  text: (column, nul) => textValue(nul)(column),
  ascii: (column, nul) => textValue(nul)(column),
  int: () => (value, out) => { out.int32(4); out.int32(value as number); },
  smallint: () => (value, out) => { out.int32(2); out.int16(value as number); },
  tinyint: () => (value, out) => { out.int32(2); out.int16(value as number); },
  bigint: () => int64Value,
  counter: () => int64Value,
  varint: (column) => (value, out) => writeBigNumeric(out, column, bigOf(value), 0, 'varint'),
  decimal: (column) => (value, out) => {
    const decimal = value as { _intVal: Parameters<typeof integerToBigInt>[0]; _scale: number };
    writeBigNumeric(out, column, integerToBigInt(decimal._intVal), decimal._scale);
  },
  // A NaN's payload bits are dropped (the text path sends 'NaN'): both paths store PostgreSQL's one NaN.
  float: () => (value, out) => { out.int32(4); out.float32(Number.isNaN(value) ? Number.NaN : (value as number)); },
  double: () => (value, out) => { out.int32(8); out.float64(Number.isNaN(value) ? Number.NaN : (value as number)); },
  boolean: () => (value, out) => { out.int32(1); out.byte(value ? 1 : 0); },
  blob: () => (value, out) => { const bytes = value as Buffer; out.int32(bytes.length); out.copy(bytes, 0, bytes.length); },
  date: dateValue,
  time: () => (value, out) => writeInt64(out, microsOf((value as { getTotalNanoseconds(): unknown }).getTotalNanoseconds())),
  timestamp: timestampValue,
  duration: () => (value, out) => {
    const duration = value as { months: number; days: number; nanoseconds: unknown };
    out.int32(16);
    const micros = microsOf(duration.nanoseconds);
    out.int32(Number(BigInt.asIntN(32, micros >> 32n)));
    out.int32(Number(BigInt.asUintN(32, micros)));
    out.int32(duration.days);
    out.int32(duration.months);
  },
  uuid: () => (value, out) => { out.int32(16); out.copy((value as { buffer: Buffer }).buffer, 0, 16); },
  timeuuid: () => (value, out) => { out.int32(16); out.copy((value as { buffer: Buffer }).buffer, 0, 16); },
  inet: () => (value, out) => {
    const bytes = (value as { buffer: Buffer }).buffer;
    const v4 = bytes.length === 4;
    out.int32(4 + bytes.length);
    // family (PGSQL_AF_INET 2 / PGSQL_AF_INET6 3), bits, is_cidr, address length, address.
    out.byte(v4 ? 2 : 3);
    out.byte(v4 ? 32 : 128);
    out.byte(0);
    out.byte(bytes.length);
    out.copy(bytes, 0, bytes.length);
  },
};

const SCALAR_NUL = 'contains U+0000, which PostgreSQL text cannot hold';
const ELEMENT_NUL = 'contains U+0000, which PostgreSQL text and jsonb cannot hold';

function itemsOf(value: unknown): ArrayLike<unknown> {
  if (value instanceof Set) return [...value];
  if (Array.isArray(value)) return value;
  return (value as { elements: ArrayLike<unknown> }).elements;
}

/** Where an array field's has-null flag is, from where its length is (after the length and the dimension count). */
export const ARRAY_FLAGS_OFFSET = 8;

/**
 * An array field's start: its length (0 until patched, at the returned offset), one dimension (none when empty, as
 * '{}' is), the has-null flag (0 until patched, ARRAY_FLAGS_OFFSET further), the element type, the count and lower
 * bound 1. A number, not an object of both offsets: one allocation less per array cell.
 */
export function startArrayField(out: ChunkWriter, count: number, elementOid: number): number {
  const lengthAt = out.length;
  out.int32(0);
  out.int32(count === 0 ? 0 : 1);
  out.int32(0);
  out.int32(elementOid);
  if (count > 0) {
    out.int32(count);
    out.int32(1);
  }
  return lengthAt;
}

/** A one-dimensional array, its elements each as their scalar. */
function arrayValue(column: string, element: ScalarName): BinaryEncoder {
  const encodeElement = SCALAR_BINARY[element](column, ELEMENT_NUL);
  const elementOid = scalarOid(pgTypeOf({ kind: 'scalar', name: element }).sql);
  return (value, out) => {
    const items = itemsOf(value);
    const count = items.length;
    const lengthAt = startArrayField(out, count, elementOid);
    const flagsAt = lengthAt + ARRAY_FLAGS_OFFSET;
    for (let index = 0; index < count; index++) {
      const item = items[index];
      if (item === null || item === undefined) {
        out.patchInt32(flagsAt, 1);
        out.int32(-1);
      } else encodeElement(item, out);
    }
    out.patchInt32(lengthAt, out.length - lengthAt - 4);
  };
}

/** jsonb's binary form: version 1, then the JSON text the text path would send. */
function jsonbValue(column: string, type: CqlType): BinaryEncoder {
  return (value, out) => {
    let text: string;
    try {
      text = jsonText(jsonValue(type, value));
    } catch (error) {
      if (error instanceof UnrepresentableValue) throw new ValueEncodeError(column, error.message);
      if (error instanceof RangeError) throw new ValueEncodeError(column, `too large to write as text: ${error.message}`);
      throw error;
    }
    out.int32(1 + Buffer.byteLength(text, 'utf8'));
    out.byte(1);
    out.utf8(text);
  };
}

/** Picks the column's binary encoder once, by its PostgreSQL shape (as columnEncoder does for text). */
export function binaryColumnEncoder(column: string, type: CqlType): BinaryEncoder {
  const shape = pgTypeOf(type).shape;
  if (type.kind === 'scalar') return SCALAR_BINARY[type.name](column, SCALAR_NUL);
  if (shape === 'array' && (type.kind === 'list' || type.kind === 'set' || type.kind === 'vector') && type.element.kind === 'scalar') return arrayValue(column, type.element.name);
  return jsonbValue(column, type);
}
