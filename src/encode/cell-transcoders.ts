import type { CqlType, ScalarName } from '../schema/index.js';
import { civilFromDays, PG_MAX_DATE_DAY, PG_MIN_DAY } from './calendar-text.js';
import { INVALID_UTF8, NUL_FOUND, type ChunkWriter } from './chunk-writer.js';
import { formatDecimal } from './fast-text.js';

/**
 * Cassandra's wire bytes of one non-null cell → its COPY text, written straight into the chunk, byte for byte what
 * the reference path (driver decode + row-encoder) writes. A value outside a transcoder's fast range (an IPv6
 * address, a date BC, a decimal past numeric's limits, text with U+0000 or bad UTF-8) goes to `reference`, which
 * decodes that one cell with the driver and encodes it as today, errors and their messages included.
 */
export type CellTranscoder = (bytes: Buffer, start: number, length: number, out: ChunkWriter) => void;

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const NULL_ELEMENT = Buffer.from('NULL');
const BLOB_PREFIX = Buffer.from('\\\\x');
const TWO_32 = 4294967296;

/**
 * Whether the 64-bit integer whose high 32 bits are `high` is exactly a JS number (|v| < 2^53, a little inside):
 * the caller then computes `high * 2^32 + low` inline, where a helper returning the double would box it per cell.
 */
function fitsInDouble(high: number): boolean {
  return high > -2097152 && high < 2097152;
}

/** Two's complement big-endian integer of any length. */
export function varintOf(bytes: Buffer, start: number, length: number): bigint {
  if (length === 0) return 0n;
  if (length <= 6) return BigInt(bytes.readIntBE(start, length));
  const magnitude = BigInt(`0x${bytes.toString('hex', start, start + length)}`);
  return (bytes[start] as number) & 0x80 ? magnitude - (1n << BigInt(length * 8)) : magnitude;
}

function integer(read: (bytes: Buffer, start: number) => number): CellTranscoder {
  return (bytes, start, _length, out) => out.int(read(bytes, start));
}

function bigintCell(): CellTranscoder {
  return (bytes, start, length, out) => {
    const high = length === 8 ? bytes.readInt32BE(start) : TWO_32;
    if (fitsInDouble(high)) out.int(high * TWO_32 + bytes.readUInt32BE(start + 4));
    else out.ascii(varintOf(bytes, start, length).toString());
  };
}

function floatCell(read: (bytes: Buffer, start: number) => number): CellTranscoder {
  return (bytes, start, _length, out) => {
    const value = read(bytes, start);
    if (Number.isNaN(value)) out.ascii('NaN');
    else if (value === Infinity) out.ascii('Infinity');
    else if (value === -Infinity) out.ascii('-Infinity');
    else out.ascii(Object.is(value, -0) ? '-0' : String(value));
  };
}

function uuidCell(bytes: Buffer, start: number, _length: number, out: ChunkWriter): void {
  out.uuid(bytes, start);
}

function textCell(reference: CellTranscoder, inArray: boolean, asciiOnly: boolean): CellTranscoder {
  return (bytes, start, length, out) => {
    const rewind = out.length;
    const status = out.escapedText(bytes, start, start + length, inArray);
    if (status === 0) return;
    // U+0000 (refused with its message) or bytes that are not UTF-8 (the driver's decode replaces them), or an
    // ascii cell with a high byte (the driver decodes those its own way): as today.
    if (status === NUL_FOUND || status === INVALID_UTF8 || asciiOnly) {
      out.truncate(rewind);
      reference(bytes, start, length, out);
    }
  };
}

/** `YYYY-MM-DD ` of a day since the epoch (AD years). */
function dayBytes(day: number): Uint8Array {
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  return Buffer.from(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')} `, 'latin1');
}

/** Distinct days a timestamp column's date texts are cached for (scans read partitions in token order, not by time). */
const DAY_CACHE_SIZE = 1024;

/** ms since the epoch in 0001-01-01 … 9999-12-31: `YYYY-MM-DD HH:MM:SS.mmm+00`; date parts cached by day. */
function timestampCell(reference: CellTranscoder): CellTranscoder {
  const cachedDays = new Float64Array(DAY_CACHE_SIZE).fill(Number.NaN);
  const cachedDayBytes: Uint8Array[] = new Array<Uint8Array>(DAY_CACHE_SIZE).fill(new Uint8Array(0));
  return (bytes, start, length, out) => {
    const high = length === 8 ? bytes.readInt32BE(start) : TWO_32;
    if (!fitsInDouble(high)) return reference(bytes, start, length, out);
    const ms = high * TWO_32 + bytes.readUInt32BE(start + 4);
    if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999) return reference(bytes, start, length, out);
    const day = Math.floor(ms / 86_400_000);
    const slot = day & (DAY_CACHE_SIZE - 1);
    if (cachedDays[slot] !== day) {
      cachedDayBytes[slot] = dayBytes(day);
      cachedDays[slot] = day;
    }
    out.bytes(cachedDayBytes[slot] as Uint8Array);
    out.timeOfDay((ms - day * 86_400_000) | 0);
  };
}

/** Days since the epoch, stored with 2^31 as day 0; AD dates within PostgreSQL's range here, the rest by reference. */
function dateCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const days = bytes.readUInt32BE(start) - 2 ** 31;
    if (days < PG_MIN_DAY || days > PG_MAX_DATE_DAY || days < -719_162) return reference(bytes, start, length, out);
    const { year, month, day } = civilFromDays(days);
    out.ascii(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
  };
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

function decimalCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length < 4) return reference(bytes, start, length, out);
    const scale = bytes.readInt32BE(start);
    // Common decimals (up to 6 bytes of unscaled value, 0 to 15 places) with integer arithmetic, no BigInt or strings.
    if (length > 4 && length <= 10 && scale >= 0 && scale <= 15) {
      const unscaled = bytes.readIntBE(start + 4, length - 4);
      const magnitude = Math.abs(unscaled);
      if (unscaled < 0) out.byte(0x2d);
      if (scale === 0) return out.int(magnitude);
      const power = POWERS_OF_TEN[scale] as number;
      const whole = Math.floor(magnitude / power);
      out.int(whole);
      out.byte(0x2e);
      return out.padded(magnitude - whole * power, scale);
    }
    const text = formatDecimal(varintOf(bytes, start + 4, length - 4), scale);
    if (text === undefined) return reference(bytes, start, length, out);
    out.ascii(text);
  };
}

/** `0` … `255`, the text of each octet, and the same followed by a dot. */
const OCTETS = Array.from({ length: 256 }, (_, octet) => Buffer.from(String(octet), 'latin1'));
const OCTETS_DOT = Array.from({ length: 256 }, (_, octet) => Buffer.from(`${octet}.`, 'latin1'));

function inetCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length !== 4) return reference(bytes, start, length, out);
    out.bytes(OCTETS_DOT[bytes[start] as number] as Buffer);
    out.bytes(OCTETS_DOT[bytes[start + 1] as number] as Buffer);
    out.bytes(OCTETS_DOT[bytes[start + 2] as number] as Buffer);
    out.bytes(OCTETS[bytes[start + 3] as number] as Buffer);
  };
}

const NANOS_PER_DAY = 86_400_000_000_000;

/** Nanoseconds since midnight as PostgreSQL time: `HH:MM:SS` and up to 6 fraction digits, trailing zeros dropped first. */
function timeCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const high = length === 8 ? bytes.readInt32BE(start) : TWO_32;
    const nanos = fitsInDouble(high) ? high * TWO_32 + bytes.readUInt32BE(start + 4) : -1;
    if (nanos < 0 || nanos >= NANOS_PER_DAY) return reference(bytes, start, length, out);
    const seconds = Math.floor(nanos / 1e9);
    const fraction = nanos - seconds * 1e9;
    out.padded(Math.floor(seconds / 3600), 2);
    out.byte(0x3a);
    out.padded(Math.floor(seconds / 60) % 60, 2);
    out.byte(0x3a);
    out.padded(seconds % 60, 2);
    if (fraction === 0) return;
    // As the driver prints it (nine digits, trailing zeros dropped), then cut to PostgreSQL's microseconds.
    let digits = String(fraction).padStart(9, '0');
    let end = digits.length;
    while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
    digits = digits.slice(0, Math.min(end, 6));
    out.byte(0x2e);
    out.ascii(digits);
  };
}

/** One Cassandra vint (unsigned, length in the first byte's leading ones) at `at`; undefined past 2^49 or the cell. */
/**
 * What durationParts read: months, days, nanoseconds. Scratch, not a returned object: a duration cell then allocates
 * nothing (an object per cell was ~140 B a types_zoo row of garbage for the scavenger).
 */
export const DURATION_PARTS = new Float64Array(3);

/** A zig-zag vint at `at` into DURATION_PARTS[slot]; returns the offset after it, or -1 where it is cut short or too wide. */
function readVInt(bytes: Buffer, at: number, end: number, slot: number): number {
  if (at < 0 || at >= end) return -1;
  const first = bytes[at] as number;
  let extra = 0;
  while (extra < 8 && (first & (0x80 >> extra)) !== 0) extra++;
  if (extra > 6 || at + 1 + extra > end) return -1;
  let value = first & (0xff >> (extra + 1));
  for (let i = 1; i <= extra; i++) value = value * 256 + (bytes[at + i] as number);
  // Zig-zag: 0, -1, 1, -2, … as 0, 1, 2, 3, …
  DURATION_PARTS[slot] = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  return at + 1 + extra;
}

/** A duration cell's three zig-zag vints into DURATION_PARTS; false where they do not fill the cell exactly. */
export function durationParts(bytes: Buffer, start: number, end: number): boolean {
  return readVInt(bytes, readVInt(bytes, readVInt(bytes, start, end, 0), end, 1), end, 2) === end;
}

/** months, days and nanoseconds as an interval; anything unusual goes by reference. */
function durationCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (!durationParts(bytes, start, start + length)) return reference(bytes, start, length, out);
    const months = DURATION_PARTS[0] as number;
    const days = DURATION_PARTS[1] as number;
    const nanos = DURATION_PARTS[2] as number;
    const magnitude = Math.abs(nanos);
    const seconds = Math.floor(magnitude / 1e9);
    const fraction = String(magnitude - seconds * 1e9).padStart(9, '0').slice(0, 6);
    out.ascii(`${months} mons ${days} days ${nanos < 0 ? '-' : ''}${seconds}.${fraction} secs`);
  };
}

const blobCell: CellTranscoder = (bytes, start, length, out) => {
  out.raw(BLOB_PREFIX);
  out.hex(bytes, start, start + length);
};

/** Scalars whose transcoder does not depend on the reference (`undefined`: no transcoder, the cell goes by reference). */
function scalarCell(name: ScalarName, reference: CellTranscoder, inArray: boolean): CellTranscoder | undefined {
  switch (name) {
    case 'int': return integer((b, s) => b.readInt32BE(s));
    case 'smallint': return integer((b, s) => b.readInt16BE(s));
    case 'tinyint': return integer((b, s) => b.readInt8(s));
    case 'bigint':
    case 'counter': return bigintCell();
    case 'varint': return (bytes, start, length, out) => out.ascii(varintOf(bytes, start, length).toString());
    case 'boolean': return (bytes, start, _length, out) => out.byte(bytes[start] === 0 ? 0x66 : 0x74);
    case 'double': return floatCell((b, s) => b.readDoubleBE(s));
    case 'float': return floatCell((b, s) => b.readFloatBE(s));
    case 'uuid':
    case 'timeuuid': return uuidCell;
    case 'text': return textCell(reference, inArray, false);
    case 'ascii': return textCell(reference, inArray, true);
    case 'timestamp': return timestampCell(reference);
    case 'date': return dateCell(reference);
    case 'decimal': return decimalCell(reference);
    case 'inet': return inetCell(reference);
    case 'time': return timeCell(reference);
    case 'duration': return inArray ? undefined : durationCell(reference);
    // Inside an array a blob's backslash is escaped once more; rare enough to leave to the reference.
    case 'blob': return inArray ? undefined : blobCell;
    default: return undefined;
  }
}

/** Vector elements Cassandra serializes back to back (its other types carry a vint length there, as the driver reads them). */
export const VECTOR_FIXED: ReadonlySet<ScalarName> = new Set(['float', 'double', 'int', 'bigint', 'boolean', 'uuid', 'timeuuid', 'timestamp']);

/** Element types whose zero-length bytes are a value (the driver decodes other zero-length elements as null). */
const ZERO_LENGTH_VALUES: ReadonlySet<ScalarName> = new Set(['text', 'ascii', 'blob']);

/**
 * `{"a","b"}` from a list or set of scalars (protocol v4: element count, then each element's length and bytes).
 * An element outside its transcoder's fast range sends the whole cell to the reference, so its text (or its
 * error) is exactly today's.
 */
function arrayCell(element: ScalarName, reference: CellTranscoder): CellTranscoder | undefined {
  let elementNeedsReference = false;
  const needsReference: CellTranscoder = () => (elementNeedsReference = true);
  const unsized = scalarCell(element, needsReference, true);
  if (unsized === undefined) return undefined;
  const elementCell = sized(element, unsized, needsReference);
  const zeroLengthIsValue = ZERO_LENGTH_VALUES.has(element);
  return (bytes, start, length, out) => {
    const rewind = out.length;
    const end = start + length;
    const count = length >= 4 ? bytes.readInt32BE(start) : -1;
    // Malformed: let the driver's decode fail (or read) it as it would have.
    if (count < 0) return reference(bytes, start, length, out);
    let at = start + 4;
    out.raw(OPEN);
    elementNeedsReference = false;
    for (let index = 0; index < count; index++) {
      if (index > 0) out.byte(COMMA);
      const elementLength = at + 4 <= end ? bytes.readInt32BE(at) : Number.MAX_SAFE_INTEGER;
      at += 4;
      if (elementLength > 0 && at + elementLength > end) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
      if (elementLength < 0 || (elementLength === 0 && !zeroLengthIsValue)) {
        out.raw(NULL_ELEMENT);
        continue;
      }
      out.byte(QUOTE);
      elementCell(bytes, at, elementLength, out);
      if (elementNeedsReference) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
      out.byte(QUOTE);
      at += elementLength;
    }
    out.raw(CLOSE);
  };
}

const FIXED_LENGTH: Partial<Record<ScalarName, number>> = {
  int: 4, smallint: 2, tinyint: 1, bigint: 8, counter: 8, boolean: 1, double: 8, float: 4, uuid: 16, timeuuid: 16, timestamp: 8, date: 4,
};

/** A transcoder for a fixed-size type that sends a cell of any other size to the reference (which fails as the driver does). */
function sized(name: ScalarName, cell: CellTranscoder, reference: CellTranscoder): CellTranscoder {
  const size = FIXED_LENGTH[name];
  if (size === undefined) return cell;
  return (bytes, start, length, out) => (length === size ? cell(bytes, start, length, out) : reference(bytes, start, length, out));
}

/**
 * `{"1.5","2"}` from a vector of a fixed-size scalar (its elements back to back, no lengths): as arrayText writes
 * the driver's vector. Vectors of variable-size elements go by reference.
 */
function vectorCell(element: ScalarName, dimension: number, reference: CellTranscoder): CellTranscoder | undefined {
  const size = VECTOR_FIXED.has(element) ? FIXED_LENGTH[element] : undefined;
  let elementNeedsReference = false;
  const elementCell = size === undefined ? undefined : scalarCell(element, () => (elementNeedsReference = true), true);
  if (elementCell === undefined || size === undefined) return undefined;
  return (bytes, start, length, out) => {
    if (length !== size * dimension) return reference(bytes, start, length, out);
    const rewind = out.length;
    elementNeedsReference = false;
    out.raw(OPEN);
    for (let index = 0; index < dimension; index++) {
      if (index > 0) out.byte(COMMA);
      out.byte(QUOTE);
      elementCell(bytes, start + index * size, size, out);
      if (elementNeedsReference) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
      out.byte(QUOTE);
    }
    out.raw(CLOSE);
  };
}

/** A scalar's COPY-text transcoder (sizes checked), outside any array; undefined where only the reference writes it. */
export function scalarTextCell(name: ScalarName, reference: CellTranscoder): CellTranscoder | undefined {
  const cell = scalarCell(name, reference, false);
  return cell === undefined ? undefined : sized(name, cell, reference);
}

/** The byte size every cell of a fixed-size scalar type has (another size goes to the reference), if it has one. */
export function fixedCellSize(type: CqlType): number | undefined {
  return type.kind === 'scalar' ? FIXED_LENGTH[type.name] : undefined;
}

/**
 * The column's transcoder, or undefined where only the reference can write it (maps, UDTs, …). With `checksSize`
 * false the caller checks a fixed-size type's cell size itself (fixedCellSize) and calls the transcoder only with it.
 */
export function cellTranscoder(type: CqlType, arrayShaped: boolean, reference: CellTranscoder, checksSize = true): CellTranscoder | undefined {
  if (type.kind === 'scalar') {
    const cell = scalarCell(type.name, reference, false);
    return cell === undefined || !checksSize ? cell : sized(type.name, cell, reference);
  }
  if (arrayShaped && (type.kind === 'list' || type.kind === 'set') && type.element.kind === 'scalar') return arrayCell(type.element.name, reference);
  if (arrayShaped && type.kind === 'vector' && type.element.kind === 'scalar') return vectorCell(type.element.name, type.dimension, reference);
  return undefined;
}
