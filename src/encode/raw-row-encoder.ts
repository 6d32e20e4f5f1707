import { pgTypeOf, type SourceTable } from '../schema/index.js';
import { cellTranscoder, type CellTranscoder } from './cell-transcoders.js';
import type { ChunkWriter } from './chunk-writer.js';
import { columnEncoder } from './row-encoder.js';

/** A page's cells: cell c of row r (the token first, then the table's columns) at starts/lengths[r * width + c]. */
export interface RawCells {
  readonly buffer: Buffer;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
}

/** How the source decodes one cell of a table column (0-based, token excluded), and which empty cells are null. */
export interface RawColumnCodec {
  decode(bytes: Buffer, column: number): unknown;
  readonly emptyIsNull: readonly boolean[];
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
export function createRawRowEncoder(table: SourceTable, codec: RawColumnCodec): RawRowEncoder {
  let referenced = 0;
  const referenceColumns: string[] = [];
  const cells = table.columns.map((column, index): CellTranscoder => {
    const encodeValue = columnEncoder(column.name, column.type);
    const reference: CellTranscoder = (bytes, start, length, out) => {
      referenced++;
      const value = codec.decode(bytes.subarray(start, start + length), index);
      if (value === null || value === undefined) out.raw(NULL_MARKER);
      else encodeValue(value, out);
    };
    const transcoder = cellTranscoder(column.type, pgTypeOf(column.type).shape === 'array', reference);
    if (transcoder === undefined) referenceColumns.push(column.name);
    return transcoder ?? reference;
  });
  const count = cells.length;
  const width = count + 1;
  const emptyIsNull = codec.emptyIsNull;
  const keyCount = table.columns.filter((column) => column.role === 'partition' || column.role === 'clustering').length;
  return {
    referenceColumns,
    referenceCells: () => referenced,
    encode(page, row, out) {
      const { buffer, starts, lengths } = page;
      const base = row * width + 1;
      let keyEnd = 0;
      for (let index = 0; index < count; index++) {
        if (index === keyCount) keyEnd = out.length;
        if (index > 0) out.byte(TAB);
        const length = lengths[base + index] as number;
        if (length < 0 || (length === 0 && emptyIsNull[index] === true)) out.raw(NULL_MARKER);
        else (cells[index] as CellTranscoder)(buffer, starts[base + index] as number, length, out);
      }
      if (keyCount >= count) keyEnd = out.length;
      out.byte(NEWLINE);
      return keyEnd;
    },
  };
}
