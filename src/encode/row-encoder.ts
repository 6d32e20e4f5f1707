import { pgTypeOf, type CqlType, type SourceTable } from '../schema/index.js';
import type { ChunkWriter } from './chunk-writer.js';
import { UnrepresentableValue } from './calendar-text.js';
import { ValueEncodeError } from './encode-error.js';
import { copyEscape } from './fast-text.js';
import { binaryColumnEncoder } from './binary-values.js';
import { binaryFieldCount, constantsSuffix } from './constant-cells.js';
import { SCALAR_TEXT, arrayText, jsonText, jsonValue, type ValueText } from './value-text.js';

export type ColumnEncoder = (value: unknown, out: ChunkWriter) => void;

const TAB = 0x09;
const NEWLINE = 0x0a;
const NULL_MARKER = Buffer.from('\\N');

/** Scalars whose text is plain ASCII with no COPY specials: written without a scan. */
const ASCII_SAFE = new Set(['bigint', 'counter', 'int', 'smallint', 'tinyint', 'varint', 'decimal', 'float', 'double', 'boolean', 'date', 'timestamp', 'duration', 'uuid', 'timeuuid', 'inet']);

/** PostgreSQL time keeps microseconds: more digits would round 23:59:59.9999999 up to 24:00:00. */
const timeText: ValueText = (value) => {
  const text = String(value);
  const dot = text.indexOf('.');
  return dot < 0 ? text : text.slice(0, dot + 7);
};

/** Runs a value's text function, turning "cannot be held" into an error that names the column. */
function checked(column: string, toText: ValueText): ValueText {
  return (value) => {
    try {
      return toText(value);
    } catch (error) {
      if (error instanceof UnrepresentableValue) throw new ValueEncodeError(column, error.message);
      // A value too large to even build as text (a string past V8's limit): the row's problem, not the run's.
      if (error instanceof RangeError) throw new ValueEncodeError(column, `too large to write as text: ${error.message}`);
      throw error;
    }
  };
}

function textEncoder(column: string, rawText: ValueText, asciiSafe: boolean): ColumnEncoder {
  const toText = checked(column, rawText);
  if (asciiSafe) return (value, out) => out.ascii(toText(value));
  return (value, out) => {
    const text = toText(value);
    if (text.includes('\0')) throw new ValueEncodeError(column, 'contains U+0000, which PostgreSQL text cannot hold');
    out.utf8(copyEscape(text));
  };
}

export function columnEncoder(column: string, type: CqlType): ColumnEncoder {
  const shape = pgTypeOf(type).shape;
  if (type.kind === 'scalar') {
    const toText = type.name === 'time' ? timeText : SCALAR_TEXT[type.name];
    return textEncoder(column, toText, ASCII_SAFE.has(type.name) || type.name === 'time');
  }
  if (shape === 'array' && (type.kind === 'list' || type.kind === 'set' || type.kind === 'vector') && type.element.kind === 'scalar') {
    const element = type.element.name === 'time' ? timeText : SCALAR_TEXT[type.element.name];
    return textEncoder(column, arrayText(element), false);
  }
  return textEncoder(column, (value) => jsonText(jsonValue(type, value)), false);
}

/** COPY's wire format: text (tab-separated lines) or binary (typed fields, no parsing on the server). */
export type CopyFormat = 'text' | 'binary';

export interface RowEncoder {
  /**
   * Appends one COPY text line for a scanned row ([token, ...columns]) and returns the writer's offset where the
   * primary key's text ends (the key columns come first), so a caller can identify the line by its key.
   */
  encode(row: readonly unknown[], out: ChunkWriter): number;
  readonly columnCount: number;
}

/** Picks one encoder per column once; the per-row loop only calls them. */
export function createRowEncoder(table: SourceTable, format: CopyFormat = 'text'): RowEncoder {
  if (format === 'binary') return createBinaryRowEncoder(table);
  const encoders = table.columns.map((column) => columnEncoder(column.name, column.type));
  const count = encoders.length;
  const keyCount = table.columns.filter((column) => column.role === 'partition' || column.role === 'clustering').length;
  const constants = constantsSuffix(table, 'text');
  return {
    columnCount: count,
    encode(row, out) {
      let keyEnd = 0;
      for (let index = 0; index < count; index++) {
        if (index === keyCount) keyEnd = out.length;
        if (index > 0) out.byte(TAB);
        const value = row[index + 1];
        if (value === null || value === undefined) out.raw(NULL_MARKER);
        else (encoders[index] as ColumnEncoder)(value, out);
      }
      if (keyCount >= count) keyEnd = out.length;
      if (constants) out.raw(constants);
      out.byte(NEWLINE);
      return keyEnd;
    },
  };
}

/** COPY binary rows from driver values: the field count, then each field (length -1 for null). */
function createBinaryRowEncoder(table: SourceTable): RowEncoder {
  const encoders = table.columns.map((column) => binaryColumnEncoder(column.name, column.type));
  const count = encoders.length;
  const keyCount = table.columns.filter((column) => column.role === 'partition' || column.role === 'clustering').length;
  const constants = constantsSuffix(table, 'binary');
  const fields = binaryFieldCount(table);
  return {
    columnCount: count,
    encode(row, out) {
      let keyEnd = 0;
      out.int16(fields);
      for (let index = 0; index < count; index++) {
        if (index === keyCount) keyEnd = out.length;
        const value = row[index + 1];
        if (value === null || value === undefined) out.int32(-1);
        else (encoders[index] as (value: unknown, out: ChunkWriter) => void)(value, out);
      }
      if (keyCount >= count) keyEnd = out.length;
      if (constants) out.raw(constants);
      return keyEnd;
    },
  };
}
