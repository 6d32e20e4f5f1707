import { pgTypeOf, type CqlType, type ScalarName } from '../schema/index.js';
import { PG_MAX_DATE_DAY, PG_MAX_TIMESTAMP_DAY, PG_MIN_DAY } from './calendar-text.js';
import { INVALID_UTF8, NON_ASCII, NUL_FOUND, type ChunkWriter } from './chunk-writer.js';
import type { CellTranscoder } from './cell-transcoders.js';
import { scalarOid } from './binary-types.js';
import { PG_EPOCH_DAYS, startArrayField, writeInt64 } from './binary-values.js';
import { writeNumeric } from './binary-numeric.js';
import { durationParts, varintOf, VECTOR_FIXED } from './cell-transcoders.js';

/**
 * Cassandra's wire bytes of one non-null cell → its COPY binary field (length, then bytes), written straight into
 * the chunk: the same bytes binaryColumnEncoder writes for the value the driver would have decoded. Most types
 * share their binary form with Cassandra's and are copied; a cell outside the fast range goes to `reference`.
 */
const TWO_32 = 4294967296;
const MS_PER_DAY = 86_400_000;
const PG_EPOCH_MS = 946_684_800_000;
const MAX_DATE_MS = 8.64e15;

/** Cells whose bytes are PostgreSQL's binary form as they are (sizes checked by the caller, see fixedCellSize). */
const copied: CellTranscoder = (bytes, start, length, out) => {
  out.int32(length);
  out.copy(bytes, start, start + length);
};

/**
 * Floats are copied, except NaNs: Cassandra keeps a NaN's payload bits, the text path sends 'NaN', and PostgreSQL
 * would store the payload it is given; the canonical NaN keeps both paths storing the same bytes.
 */
const floatCell: CellTranscoder = (bytes, start, length, out) => {
  if (Number.isNaN(bytes.readFloatBE(start))) {
    out.int32(4);
    out.float32(Number.NaN);
  } else copied(bytes, start, length, out);
};

const doubleCell: CellTranscoder = (bytes, start, length, out) => {
  if (Number.isNaN(bytes.readDoubleBE(start))) {
    out.int32(8);
    out.float64(Number.NaN);
  } else copied(bytes, start, length, out);
};

const tinyintCell: CellTranscoder = (bytes, start, _length, out) => {
  out.int32(2);
  out.int16(bytes.readInt8(start));
};

const booleanCell: CellTranscoder = (bytes, start, _length, out) => {
  out.int32(1);
  out.byte(bytes[start] === 0 ? 0 : 1);
};

function textCell(reference: CellTranscoder, asciiOnly: boolean): CellTranscoder {
  return (bytes, start, length, out) => {
    const rewind = out.length;
    out.int32(length);
    const status = out.checkedUtf8(bytes, start, start + length);
    if (status === 0) return;
    // U+0000 (refused), bytes that are not UTF-8 (the driver replaces them), an ascii cell with a high byte (the
    // driver decodes those its own way): as the reference does.
    if (status === NUL_FOUND || status === INVALID_UTF8 || (asciiOnly && status === NON_ASCII)) {
      out.truncate(rewind);
      reference(bytes, start, length, out);
    }
  };
}

/** ms since the Unix epoch → µs since 2000-01-01, in doubles while exact (±285 years around 2000), else BigInt. */
function timestampCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const high = bytes.readInt32BE(start);
    const ms = high * TWO_32 + bytes.readUInt32BE(start + 4);
    // Past a JavaScript Date's ±8.64e15 ms the driver's decode (and so the text path) refuses the value: so do we.
    if (high <= -2097152 || high >= 2097152 || ms > MAX_DATE_MS || ms < -MAX_DATE_MS) return reference(bytes, start, length, out);
    const days = Math.floor(ms / MS_PER_DAY);
    if (days < PG_MIN_DAY || days > PG_MAX_TIMESTAMP_DAY) return reference(bytes, start, length, out);
    const micros = (ms - PG_EPOCH_MS) * 1000;
    if (micros > Number.MAX_SAFE_INTEGER || micros < -Number.MAX_SAFE_INTEGER) return writeInt64(out, (BigInt(ms) - BigInt(PG_EPOCH_MS)) * 1000n);
    const microsHigh = Math.floor(micros / TWO_32);
    out.int32(8);
    out.int32(microsHigh);
    out.int32(micros - microsHigh * TWO_32);
  };
}

function dateCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const days = bytes.readUInt32BE(start) - 2 ** 31;
    if (days < PG_MIN_DAY || days > PG_MAX_DATE_DAY) return reference(bytes, start, length, out);
    out.int32(4);
    out.int32(days - PG_EPOCH_DAYS);
  };
}

const NANOS_PER_DAY = 86_400_000_000_000;

function timeCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const high = length === 8 ? bytes.readInt32BE(start) : -1;
    const nanos = high >= 0 && high < 2097152 ? high * TWO_32 + bytes.readUInt32BE(start + 4) : -1;
    if (nanos < 0 || nanos >= NANOS_PER_DAY) return reference(bytes, start, length, out);
    const micros = Math.floor(nanos / 1000);
    const microsHigh = Math.floor(micros / TWO_32);
    out.int32(8);
    out.int32(microsHigh);
    out.int32(micros - microsHigh * TWO_32);
  };
}

/** Scratch for a small decimal's base-10000 digits (integer part at most 4 groups, fraction at most 3). */
const GROUPS = new Int32Array(8);
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

/**
 * Decimals of up to 6 bytes of unscaled value and 0 to 12 places (nearly all in practice) in integer arithmetic,
 * exact in doubles (integer part < 2^48, fraction × 10^3 < 10^15); the rest through writeNumeric's digit string.
 */
function decimalCell(column: string, reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length < 4) return reference(bytes, start, length, out);
    const scale = bytes.readInt32BE(start);
    if (length > 4 && length <= 10 && scale >= 0 && scale <= 12) {
      const unscaled = bytes.readIntBE(start + 4, length - 4);
      return smallNumeric(out, unscaled < 0, Math.abs(unscaled), scale);
    }
    const unscaled = length === 4 ? 0n : varintOf(bytes, start + 4, length - 4);
    const negative = unscaled < 0n;
    writeNumeric(out, column, negative, (negative ? -unscaled : unscaled).toString(), scale);
  };
}

/** magnitude × 10^-scale as numeric (magnitude < 2^48, scale 0…12): the fields writeNumeric writes for its text. */
function smallNumeric(out: ChunkWriter, negative: boolean, magnitude: number, scale: number): void {
  const power = POWERS_OF_TEN[scale] as number;
  let whole = Math.floor(magnitude / power);
  const fractionGroups = Math.ceil(scale / 4);
  // The fraction, padded on the right to whole groups of four digits.
  let fraction = (magnitude - whole * power) * (POWERS_OF_TEN[fractionGroups * 4 - scale] as number);
  let integerGroups = 0;
  while (whole > 0) {
    const next = Math.floor(whole / 10000);
    GROUPS[3 - integerGroups] = whole - next * 10000;
    whole = next;
    integerGroups++;
  }
  for (let index = fractionGroups - 1; index >= 0; index--) {
    const next = Math.floor(fraction / 10000);
    GROUPS[4 + index] = fraction - next * 10000;
    fraction = next;
  }
  let first = 4 - integerGroups;
  let weight = integerGroups - 1;
  const end = 4 + fractionGroups;
  while (first < end && GROUPS[first] === 0) {
    first++;
    weight--;
  }
  let last = end;
  while (last > first && GROUPS[last - 1] === 0) last--;
  const count = last - first;
  out.int32(8 + 2 * count);
  out.int16(count);
  out.int16(count === 0 ? 0 : weight);
  out.int16(negative && count > 0 ? 0x4000 : 0);
  out.int16(scale);
  for (let index = first; index < last; index++) out.int16(GROUPS[index] as number);
}

function inetCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length !== 4 && length !== 16) return reference(bytes, start, length, out);
    out.int32(4 + length);
    out.byte(length === 4 ? 2 : 3);
    out.byte(length === 4 ? 32 : 128);
    out.byte(0);
    out.byte(length);
    out.copy(bytes, start, start + length);
  };
}

const INT32_MAX = 2147483647;

/** months, days and nanoseconds (zig-zag vints) as interval: µs cut towards zero, days, months; the rest by reference. */
function durationCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    const parts = durationParts(bytes, start, start + length);
    if (!parts || Math.abs(parts.months) > INT32_MAX || Math.abs(parts.days) > INT32_MAX) return reference(bytes, start, length, out);
    const micros = Math.trunc(parts.nanos / 1000);
    const high = Math.floor(micros / TWO_32);
    out.int32(16);
    out.int32(high);
    out.int32(micros - high * TWO_32);
    out.int32(parts.days);
    out.int32(parts.months);
  };
}

/** Scalars with a binary transcoder (undefined: the cell goes by reference). */
function scalarCell(column: string, name: ScalarName, reference: CellTranscoder): CellTranscoder | undefined {
  switch (name) {
    case 'int':
    case 'smallint':
    case 'bigint':
    case 'counter':
    case 'uuid':
    case 'timeuuid':
    case 'blob': return copied;
    case 'float': return floatCell;
    case 'double': return doubleCell;
    case 'tinyint': return tinyintCell;
    case 'boolean': return booleanCell;
    case 'text': return textCell(reference, false);
    case 'ascii': return textCell(reference, true);
    case 'timestamp': return timestampCell(reference);
    case 'date': return dateCell(reference);
    case 'time': return timeCell(reference);
    case 'decimal': return decimalCell(column, reference);
    case 'varint': return (bytes, start, length, out) => {
      const value = varintOf(bytes, start, length);
      writeNumeric(out, column, value < 0n, (value < 0n ? -value : value).toString(), 0, 'varint');
    };
    case 'inet': return inetCell(reference);
    case 'duration': return durationCell(reference);
    default: return undefined;
  }
}

const FIXED_LENGTH: Partial<Record<ScalarName, number>> = {
  int: 4, smallint: 2, tinyint: 1, bigint: 8, counter: 8, boolean: 1, double: 8, float: 4, uuid: 16, timeuuid: 16, timestamp: 8, date: 4,
};

/** Element types whose zero-length bytes are a value (the driver decodes other zero-length elements as null). */
const ZERO_LENGTH_VALUES: ReadonlySet<ScalarName> = new Set(['text', 'ascii', 'blob']);

/** A list or set of scalars as a one-dimensional array; any element off the fast path sends the cell to the reference. */
function arrayCell(column: string, element: ScalarName, reference: CellTranscoder): CellTranscoder | undefined {
  let elementNeedsReference = false;
  const needsReference: CellTranscoder = () => (elementNeedsReference = true);
  const elementCell = scalarCell(column, element, needsReference);
  if (elementCell === undefined) return undefined;
  const size = FIXED_LENGTH[element];
  const zeroLengthIsValue = ZERO_LENGTH_VALUES.has(element);
  const elementOid = scalarOid(pgTypeOf({ kind: 'scalar', name: element }).sql);
  return (bytes, start, length, out) => {
    const count = length >= 4 ? bytes.readInt32BE(start) : -1;
    if (count < 0) return reference(bytes, start, length, out);
    const end = start + length;
    const { lengthAt: rewind, flagsAt } = startArrayField(out, count, elementOid);
    elementNeedsReference = false;
    let at = start + 4;
    for (let index = 0; index < count; index++) {
      const elementLength = at + 4 <= end ? bytes.readInt32BE(at) : Number.MAX_SAFE_INTEGER;
      at += 4;
      if ((elementLength > 0 && at + elementLength > end) || (size !== undefined && elementLength > 0 && elementLength !== size)) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
      if (elementLength < 0 || (elementLength === 0 && !zeroLengthIsValue)) {
        out.patchInt32(flagsAt, 1);
        out.int32(-1);
        continue;
      }
      elementCell(bytes, at, elementLength, out);
      if (elementNeedsReference) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
      at += elementLength;
    }
    out.patchInt32(rewind, out.length - rewind - 4);
  };
}

/** A vector of a fixed-size scalar (elements back to back, no lengths) as a one-dimensional array; others by reference. */
function vectorCell(column: string, element: ScalarName, dimension: number, reference: CellTranscoder): CellTranscoder | undefined {
  const size = VECTOR_FIXED.has(element) ? FIXED_LENGTH[element] : undefined;
  let elementNeedsReference = false;
  const elementCell = size === undefined ? undefined : scalarCell(column, element, () => (elementNeedsReference = true));
  if (elementCell === undefined || size === undefined) return undefined;
  const elementOid = scalarOid(pgTypeOf({ kind: 'scalar', name: element }).sql);
  return (bytes, start, length, out) => {
    if (length !== size * dimension) return reference(bytes, start, length, out);
    const { lengthAt: rewind } = startArrayField(out, dimension, elementOid);
    elementNeedsReference = false;
    for (let index = 0; index < dimension; index++) {
      elementCell(bytes, start + index * size, size, out);
      if (elementNeedsReference) {
        out.truncate(rewind);
        return reference(bytes, start, length, out);
      }
    }
    out.patchInt32(rewind, out.length - rewind - 4);
  };
}

/** The column's binary transcoder, or undefined where only the reference can write it (jsonb shapes: json-cells.ts). */
export function binaryCellTranscoder(column: string, type: CqlType, reference: CellTranscoder): CellTranscoder | undefined {
  if (type.kind === 'scalar') return scalarCell(column, type.name, reference);
  const arrayShaped = pgTypeOf(type).shape === 'array';
  if (arrayShaped && (type.kind === 'list' || type.kind === 'set') && type.element.kind === 'scalar') return arrayCell(column, type.element.name, reference);
  if (arrayShaped && type.kind === 'vector' && type.element.kind === 'scalar') return vectorCell(column, type.element.name, type.dimension, reference);
  return undefined;
}
