import { pgTypeOf, type SourceTable } from '../schema/index.js';
import { binaryCellTranscoder, copiedAsIs } from './binary-cells.js';
import { binaryColumnEncoder } from './binary-values.js';
import { jsonCellTranscoder } from './json-cells.js';
import { cellTranscoder, fixedCellSize, type CellTranscoder } from './cell-transcoders.js';
import type { ChunkWriter } from './chunk-writer.js';
import { columnEncoder, type CopyFormat } from './row-encoder.js';
import { binaryFieldCount, constantsSuffix } from './constant-cells.js';

/**
 * A page's cells: cell c of row r (the token first if the scan selected it, then the table's columns) at
 * starts/lengths[r * width + c]. As in
 * the protocol's rows, each cell's 4-byte big-endian length (-1: null) lies just before its start, and a row's cells
 * follow one another: COPY binary's fields have the same shape, so cells PostgreSQL takes as they are are copied
 * with their lengths, adjacent ones at once.
 */
export interface RawCells {
  readonly buffer: Buffer;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
}

/** How the source decodes one cell of a table column (0-based, token excluded), and which empty cells are null. */
export interface RawColumnCodec {
  decode(bytes: Buffer, column: number): unknown;
  readonly emptyIsNull: readonly boolean[];
  /** The page's rows start with a `token(…)` cell before the table's columns (false: the token is computed here). */
  readonly tokenCell: boolean;
}

export interface RawRowEncoder {
  /** Appends the row's COPY line; returns the writer offset where the key's text ends (as RowEncoder.encode). */
  encode(page: RawCells, row: number, out: ChunkWriter): number;
  /** Cells written by the reference path (driver decode + row encoder) so far. */
  referenceCells(): number;
  /** Columns with no transcoder: every one of their cells goes by reference. */
  readonly referenceColumns: readonly string[];
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const NULL_MARKER = Buffer.from('\\N');

/**
 * Page bytes → COPY text, one transcoder per column picked once; the same bytes as createRowEncoder on the rows
 * the driver would have built. A column or a value the transcoders do not cover goes through the reference, cell
 * by cell, never the whole table.
 */
export function createRawRowEncoder(table: SourceTable, codec: RawColumnCodec, format: CopyFormat = 'text'): RawRowEncoder {
  let referenced = 0;
  const referenceColumns: string[] = [];
  const references: CellTranscoder[] = [];
  const binary = format === 'binary';
  const cells = table.columns.map((column, index): CellTranscoder => {
    const encodeValue = binary ? binaryColumnEncoder(column.name, column.type) : columnEncoder(column.name, column.type);
    const reference: CellTranscoder = (bytes, start, length, out) => {
      referenced++;
      const value = codec.decode(bytes.subarray(start, start + length), index);
      if (value === null || value === undefined) {
        if (binary) out.int32(-1);
        else out.raw(NULL_MARKER);
      } else encodeValue(value, out);
    };
    references.push(reference);
    const transcoder = (binary
      ? binaryCellTranscoder(column.name, column.type, reference)
      : cellTranscoder(column.type, pgTypeOf(column.type).shape === 'array', reference, false)) ?? jsonCellTranscoder(column.type, binary, reference);
    if (transcoder === undefined) referenceColumns.push(column.name);
    return transcoder ?? reference;
  });
  // A fixed-size column's size is checked in the row function itself: one call per cell instead of two.
  const sizes = table.columns.map((column, index) => (cells[index] === references[index] ? undefined : fixedCellSize(column.type)));
  const keyCount = table.columns.filter((column) => column.role === 'partition' || column.role === 'clustering').length;
  const shape = { keyCount, format, fields: binaryFieldCount(table), constants: constantsSuffix(table, format), tokenCell: codec.tokenCell };
  const asIs = cells.map((cell) => binary && copiedAsIs(cell));
  return { referenceColumns, referenceCells: () => referenced, encode: unrolledRowEncoder({ cells, references, sizes, emptyIsNull: codec.emptyIsNull, asIs }, shape) };
}

type EncodeRow = RawRowEncoder['encode'];

interface RowCells {
  readonly cells: readonly CellTranscoder[];
  readonly references: readonly CellTranscoder[];
  /** Per column, the only cell size its transcoder takes (other sizes go to its reference), if fixed. */
  readonly sizes: ReadonlyArray<number | undefined>;
  readonly emptyIsNull: readonly boolean[];
  /** COPY binary: the column's bytes are PostgreSQL's as they are (copiedAsIs). */
  readonly asIs: readonly boolean[];
}

/**
 * The row loop unrolled into one function per table, each column's transcoder called from its own call site: V8
 * can then inline each (a shared loop calls 14 different closures from one site, which it cannot). The generated
 * source holds only column indexes and constants, never a name or value from the table.
 */
interface RowShape {
  readonly keyCount: number;
  readonly format: CopyFormat;
  /** Binary: the row's field count (columns and constants). */
  readonly fields: number;
  /** The constant columns' bytes every row ends with, if any. */
  readonly constants: Buffer | undefined;
  /** Each row's first cell is its token, not a column. */
  readonly tokenCell: boolean;
}

function unrolledRowEncoder(row: RowCells, { keyCount, format, fields, constants, tokenCell }: RowShape): EncodeRow {
  const { cells, references } = row;
  const binary = format === 'binary';
  const width = cells.length + (tokenCell ? 1 : 0);
  const base = tokenCell ? `row * ${width} + 1` : `row * ${width}`;
  const lines = ['const buffer = page.buffer, starts = page.starts, lengths = page.lengths;', `const base = ${base};`, 'let keyEnd = 0;', 'let length = 0;'];
  // COPY binary: a row is its field count, then each field's length and bytes (-1 for null); text: tab-separated.
  if (binary) lines.push(`out.int16(${fields});`);
  for (const [first, last] of columnRuns(row, keyCount)) {
    if (first === keyCount) lines.push('keyEnd = out.length;');
    const each = Array.from({ length: last - first + 1 }, (_, k) => cellLines(row, first + k, binary)).flat();
    lines.push(...(row.asIs[first] === true ? asIsRunLines(row, first, last, each) : each));
  }
  if (keyCount >= cells.length) lines.push('keyEnd = out.length;');
  if (constants) lines.push('out.raw(CONSTANTS);');
  if (!binary) lines.push(`out.byte(${NEWLINE});`);
  lines.push('return keyEnd;');
  const names = [...cells.map((_, index) => `cell${index}`), ...references.map((_, index) => `reference${index}`)];
  const factory = new Function('NULL_MARKER', 'CONSTANTS', ...names, `return function encodeRow(page, row, out) {\n${lines.join('\n')}\n};`) as (nullMarker: Buffer, constants: Buffer | undefined, ...cells: CellTranscoder[]) => EncodeRow;
  return factory(NULL_MARKER, constants, ...cells, ...references);
}

/** The columns in order as [first, last] runs: adjacent as-is columns on one side of the key's end together, others alone. */
function columnRuns({ cells, asIs }: RowCells, keyCount: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  cells.forEach((_, index) => {
    const previous = runs[runs.length - 1];
    if (previous !== undefined && asIs[index] === true && asIs[previous[1]] === true && index !== keyCount) previous[1] = index;
    else runs.push([index, index]);
  });
  return runs;
}

/** One column's cell: null, its transcoder, or (a fixed-size type's cell of another size) its reference. */
function cellLines({ sizes, emptyIsNull }: RowCells, index: number, binary: boolean): string[] {
  const lines = index > 0 && !binary ? [`out.byte(${TAB});`] : [];
  lines.push(`length = lengths[base + ${index}];`);
  const isNull = emptyIsNull[index] === true ? 'length <= 0' : 'length < 0';
  const writeNull = binary ? 'out.int32(-1);' : 'out.raw(NULL_MARKER);';
  const size = sizes[index];
  const write = size === undefined
    ? `cell${index}(buffer, starts[base + ${index}], length, out);`
    : `if (length === ${size}) cell${index}(buffer, starts[base + ${index}], length, out); else reference${index}(buffer, starts[base + ${index}], length, out);`;
  lines.push(`if (${isNull}) ${writeNull} else ${write}`);
  return lines;
}

/**
 * A run of as-is columns: when every cell is null (-1) or a value the transcoder would copy, the run's bytes from the
 * first cell's length to the last cell's end are the fields PostgreSQL takes, copied at once; else cell by cell.
 */
function asIsRunLines({ sizes, emptyIsNull }: RowCells, first: number, last: number, each: readonly string[]): string[] {
  const checks: string[] = [];
  for (let index = first; index <= last; index++) {
    const size = sizes[index];
    const length = `lengths[base + ${index}]`;
    const value = size !== undefined ? `${length} === ${size}` : emptyIsNull[index] === true ? `${length} > 0` : `${length} >= 0`;
    checks.push(`(${value} || ${length} === -1)`);
  }
  const end = `starts[base + ${last}] + (lengths[base + ${last}] > 0 ? lengths[base + ${last}] : 0)`;
  return [`if (${checks.join(' && ')}) out.copyPageBytes(buffer, starts[base + ${first}] - 4, ${end});`, 'else {', ...each, '}'];
}
