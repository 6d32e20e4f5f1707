import { pgTypeOf, type CqlType, type ScalarName } from '../schema/index.js';
import { PG_MAX_DATE_DAY, PG_MAX_TIMESTAMP_DAY, PG_MIN_DAY } from './calendar-text.js';
import { INVALID_UTF8, NON_ASCII, NUL_FOUND } from './chunk-writer.js';
import type { CellTranscoder } from './cell-transcoders.js';
import { scalarOid } from './binary-types.js';
import { ARRAY_FLAGS_OFFSET, PG_EPOCH_DAYS, startArrayField, writeInt64 } from './binary-values.js';
import { writeIntegerNumeric, writeNumeric } from './binary-numeric.js';
import { DURATION_PARTS, durationParts, varintOf, VECTOR_FIXED } from './cell-transcoders.js';

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
  out.copyPageBytes(bytes, start, start + length);
};

/**
 * Whether the cell's bytes go to COPY binary as they are (`copied`): then the row function may copy such a cell with
 * the length before it, which is PostgreSQL's field length too (-1 for null in both), and adjacent ones at once.
 */
export function copiedAsIs(transcoder: CellTranscoder): boolean {
  return transcoder === copied;
}

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

/**
 * decimal: an int32 scale, then the unscaled varint. Up to 64 bytes and scales 0…16,383 (all but the extremes) by
 * writeIntegerNumeric; the rest through writeNumeric's digit string, which also names a value numeric cannot hold.
 */
function decimalCell(column: string, reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length < 4) return reference(bytes, start, length, out);
    const scale = bytes.readInt32BE(start);
    if (writeIntegerNumeric(out, bytes, start + 4, length - 4, scale)) return;
    const unscaled = length === 4 ? 0n : varintOf(bytes, start + 4, length - 4);
    const negative = unscaled < 0n;
    writeNumeric(out, column, negative, (negative ? -unscaled : unscaled).toString(), scale);
  };
}

function varintCell(column: string): CellTranscoder {
  return (bytes, start, length, out) => {
    if (writeIntegerNumeric(out, bytes, start, length, 0)) return;
    const value = varintOf(bytes, start, length);
    writeNumeric(out, column, value < 0n, (value < 0n ? -value : value).toString(), 0, 'varint');
  };
}

function inetCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (length !== 4 && length !== 16) return reference(bytes, start, length, out);
    out.int32(4 + length);
    out.byte(length === 4 ? 2 : 3);
    out.byte(length === 4 ? 32 : 128);
    out.byte(0);
    out.byte(length);
    out.copyPageBytes(bytes, start, start + length);
  };
}

const INT32_MAX = 2147483647;

/** months, days and nanoseconds (zig-zag vints) as interval: µs cut towards zero, days, months; the rest by reference. */
function durationCell(reference: CellTranscoder): CellTranscoder {
  return (bytes, start, length, out) => {
    if (!durationParts(bytes, start, start + length)) return reference(bytes, start, length, out);
    const months = DURATION_PARTS[0] as number;
    const days = DURATION_PARTS[1] as number;
    if (Math.abs(months) > INT32_MAX || Math.abs(days) > INT32_MAX) return reference(bytes, start, length, out);
    const micros = Math.trunc((DURATION_PARTS[2] as number) / 1000);
    const high = Math.floor(micros / TWO_32);
    out.int32(16);
    out.int32(high);
    out.int32(micros - high * TWO_32);
    out.int32(days);
    out.int32(months);
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
    case 'varint': return varintCell(column);
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
    const rewind = startArrayField(out, count, elementOid);
    const flagsAt = rewind + ARRAY_FLAGS_OFFSET;
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
    const rewind = startArrayField(out, dimension, elementOid);
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
