import { pgTypeOf, type CqlType, type ScalarName } from '../schema/index.js';
import { scalarTextCell, type CellTranscoder } from './cell-transcoders.js';
import type { ChunkWriter } from './chunk-writer.js';
import { floatText } from './value-text.js';
import { itemLength, mapJson } from './json-map.js';

/**
 * Cassandra's bytes of a jsonb column (maps, UDTs, tuples, nested collections) → the JSON text the reference path
 * writes (value-text.ts's jsonValue + jsonText on the driver's value), with no per-cell JS objects. A writer returns
 * false where only the reference can write the value (U+0000, bytes that are not UTF-8, a malformed cell, a value
 * outside a scalar transcoder's fast range): the caller rewinds and sends the whole cell to the reference.
 */
type JsonWriter = (bytes: Buffer, start: number, length: number, out: ChunkWriter) => boolean;

const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Zero-length bytes the driver decodes as a value (text, ascii, blob); any other zero-length element is null. */
const ZERO_LENGTH_VALUES: ReadonlySet<ScalarName> = new Set(['text', 'ascii', 'blob']);

function zeroLengthIsNull(type: CqlType): boolean {
  return !(type.kind === 'scalar' && ZERO_LENGTH_VALUES.has(type.name));
}

/** A JSON string of UTF-8 text; ascii takes 7-bit bytes only (the driver decodes others its own way). */
function textJson(asciiOnly: boolean, backslashes: 1 | 2): JsonWriter {
  return (bytes, start, length, out) => {
    if (asciiOnly) for (let i = start; i < start + length; i++) if ((bytes[i] as number) >= 0x80) return false;
    out.byte(QUOTE);
    const status = out.jsonString(bytes, start, start + length, backslashes);
    if (status !== 0 && status !== 2) return false;
    out.byte(QUOTE);
    return true;
  };
}

/** A scalar through its COPY-text transcoder, whose text needs no JSON escaping; `quoted` makes it a JSON string. */
function viaText(name: ScalarName, quoted: boolean): JsonWriter | undefined {
  let needsReference = false;
  const cell = scalarTextCell(name, () => (needsReference = true));
  if (cell === undefined) return undefined;
  return (bytes, start, length, out) => {
    needsReference = false;
    if (quoted) out.byte(QUOTE);
    cell(bytes, start, length, out);
    if (quoted) out.byte(QUOTE);
    return !needsReference;
  };
}

/**
 * float and double: a JSON number while finite and not -0 (jsonb has no -0), else the text as a JSON string;
 * `quoted` (a map key) always a string.
 */
function floatJson(size: 4 | 8, quoted = false): JsonWriter {
  return (bytes, start, length, out) => {
    if (length !== size) return false;
    const value = size === 4 ? bytes.readFloatBE(start) : bytes.readDoubleBE(start);
    const finite = !quoted && Number.isFinite(value) && !Object.is(value, -0);
    if (!finite) out.byte(QUOTE);
    out.ascii(floatText(value));
    if (!finite) out.byte(QUOTE);
    return true;
  };
}

const NANOS_PER_DAY = 86_400_000_000_000;

/** time as the driver's LocalTime prints it: `HH:MM:SS` and, past whole seconds, nine digits less trailing zeros. */
const timeJson: JsonWriter = (bytes, start, length, out) => {
  if (length !== 8) return false;
  const high = bytes.readInt32BE(start);
  if (high < 0 || high >= 2097152) return false;
  const nanos = high * 4294967296 + bytes.readUInt32BE(start + 4);
  if (nanos >= NANOS_PER_DAY) return false;
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos - seconds * 1e9;
  out.byte(QUOTE);
  out.padded(Math.floor(seconds / 3600), 2);
  out.byte(COLON);
  out.padded(Math.floor(seconds / 60) % 60, 2);
  out.byte(COLON);
  out.padded(seconds % 60, 2);
  if (fraction > 0) {
    const digits = String(fraction).padStart(9, '0');
    let end = digits.length;
    while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
    out.byte(0x2e);
    out.ascii(digits.slice(0, end));
  }
  out.byte(QUOTE);
  return true;
};

function scalarJson(name: ScalarName, backslashes: 1 | 2): JsonWriter | undefined {
  switch (name) {
    case 'time': return timeJson;
    case 'text': return textJson(false, backslashes);
    case 'ascii': return textJson(true, backslashes);
    case 'boolean': return (bytes, start, length, out) => {
      if (length !== 1) return false;
      out.raw(bytes[start] === 0 ? FALSE : TRUE);
      return true;
    };
    case 'float': return floatJson(4);
    case 'double': return floatJson(8);
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'bigint':
    case 'counter':
    case 'varint':
    case 'decimal': return viaText(name, false);
    case 'blob': return (bytes, start, length, out) => {
      // `"\\x…"`: JSON escapes the bytea text's backslash.
      out.byte(QUOTE);
      for (let i = 0; i < 2 * backslashes; i++) out.byte(0x5c);
      out.byte(0x78);
      out.hex(bytes, start, start + length);
      out.byte(QUOTE);
      return true;
    };
    // uuid, timeuuid, timestamp, date, inet, duration: texts of digits, letters and punctuation only.
    default: return viaText(name, true);
  }
}

/** One element, field or value: null where the driver would decode null, else the type's writer. */
function nullable(type: CqlType, write: JsonWriter): JsonWriter {
  const emptyIsNull = zeroLengthIsNull(type);
  return (bytes, start, length, out) => {
    if (length < 0 || (length === 0 && emptyIsNull)) {
      out.raw(NULL);
      return true;
    }
    return write(bytes, start, length, out);
  };
}

function listJson(element: CqlType, backslashes: 1 | 2): JsonWriter | undefined {
  const inner = jsonWriter(element, backslashes);
  if (inner === undefined) return undefined;
  const item = nullable(element, inner);
  return (bytes, start, length, out) => {
    const end = start + length;
    const count = length >= 4 ? bytes.readInt32BE(start) : -1;
    if (count < 0) return false;
    let at = start + 4;
    out.byte(0x5b);
    for (let index = 0; index < count; index++) {
      const size = itemLength(bytes, at, end);
      if (Number.isNaN(size)) return false;
      if (index > 0) out.byte(COMMA);
      if (!item(bytes, at + 4, size, out)) return false;
      at += 4 + Math.max(0, size);
    }
    out.byte(0x5d);
    return true;
  };
}

/** Scalars whose JSON is a string: as a map key they are themselves; other keys become their JSON text in quotes. */
const STRING_JSON: ReadonlySet<ScalarName> = new Set(['text', 'ascii', 'blob', 'uuid', 'timeuuid', 'timestamp', 'date', 'time', 'inet', 'duration']);

/** A map key's JSON string (scalar keys only; composite keys go by reference). */
function mapKeyJson(key: CqlType, backslashes: 1 | 2): JsonWriter | undefined {
  if (key.kind !== 'scalar') return undefined;
  const float = key.name === 'float' || key.name === 'double';
  const write = float ? floatJson(key.name === 'float' ? 4 : 8, true) : scalarJson(key.name, backslashes);
  if (write === undefined) return undefined;
  const quote = !float && !STRING_JSON.has(key.name);
  return (bytes, start, length, out) => {
    // A null key: the reference's "null" key, rare enough to leave to it.
    if (length < 0 || (length === 0 && zeroLengthIsNull(key))) return false;
    if (quote) out.byte(QUOTE);
    if (!write(bytes, start, length, out)) return false;
    if (quote) out.byte(QUOTE);
    return true;
  };
}

function tupleJson(elements: readonly CqlType[], backslashes: 1 | 2): JsonWriter | undefined {
  const items = elements.map((element) => {
    const inner = jsonWriter(element, backslashes);
    return inner && nullable(element, inner);
  });
  if (items.some((item) => item === undefined)) return undefined;
  return fieldsJson(items as JsonWriter[], undefined);
}

/**
 * Tuples (`[…]`) and UDTs (`{"name":…}`): each element an int32 length and bytes, in order; elements past the
 * bytes' end are null, as the driver leaves them unset.
 */
function fieldsJson(items: readonly JsonWriter[], names: readonly Buffer[] | undefined): JsonWriter {
  return (bytes, start, length, out) => {
    const end = start + length;
    let at = start;
    out.byte(names ? 0x7b : 0x5b);
    for (let index = 0; index < items.length; index++) {
      if (index > 0) out.byte(COMMA);
      if (names) {
        out.raw(names[index] as Buffer);
        out.byte(COLON);
      }
      if (at >= end) {
        out.raw(NULL);
        continue;
      }
      const size = itemLength(bytes, at, end);
      if (Number.isNaN(size)) return false;
      if (!(items[index] as JsonWriter)(bytes, at + 4, size, out)) return false;
      at += 4 + Math.max(0, size);
    }
    out.byte(names ? 0x7d : 0x5d);
    return true;
  };
}

/** An integer-like name ("0", "12") would come first in a JS object's key order; such UDTs go by reference. */
const INDEX_LIKE = /^(0|[1-9][0-9]{0,9})$/;

function udtJson(fields: ReadonlyArray<{ readonly name: string; readonly type: CqlType }>, backslashes: 1 | 2): JsonWriter | undefined {
  if (fields.some((field) => INDEX_LIKE.test(field.name) || field.name.includes('\0'))) return undefined;
  const items = fields.map((field) => {
    const inner = jsonWriter(field.type, backslashes);
    return inner && nullable(field.type, inner);
  });
  if (items.some((item) => item === undefined)) return undefined;
  const names = fields.map((field) => {
    const json = JSON.stringify(field.name);
    return Buffer.from(backslashes === 2 ? json.replace(/\\/g, '\\\\') : json, 'utf8');
  });
  return fieldsJson(items as JsonWriter[], names);
}

/** The JSON writer of a type, or undefined where only the reference can write it (vectors, composite map keys, …). */
export function jsonWriter(type: CqlType, backslashes: 1 | 2): JsonWriter | undefined {
  switch (type.kind) {
    case 'scalar': return scalarJson(type.name, backslashes);
    case 'list':
    case 'set': return listJson(type.element, backslashes);
    case 'map': {
      const key = mapKeyJson(type.key, backslashes);
      const value = jsonWriter(type.value, backslashes);
      return key && value && mapJson(key, nullable(type.value, value));
    }
    case 'tuple': return tupleJson(type.elements, backslashes);
    case 'udt': return udtJson(type.fields, backslashes);
    default: return undefined;
  }
}

/**
 * A jsonb column's transcoder for COPY text (JSON with every backslash doubled) or binary (length, version 1, JSON),
 * or undefined where the reference writes every cell. A cell a writer cannot take goes to `reference` whole.
 */
export function jsonCellTranscoder(type: CqlType, binary: boolean, reference: CellTranscoder): CellTranscoder | undefined {
  if (pgTypeOf(type).shape !== 'jsonb') return undefined;
  const write = jsonWriter(type, binary ? 1 : 2);
  if (write === undefined) return undefined;
  return (bytes, start, length, out) => {
    const rewind = out.length;
    if (binary) {
      out.int32(0);
      out.byte(1);
    }
    if (write(bytes, start, length, out)) {
      if (binary) out.patchInt32(rewind, out.length - rewind - 4);
      return;
    }
    out.truncate(rewind);
    reference(bytes, start, length, out);
  };
}

export type { JsonWriter };
