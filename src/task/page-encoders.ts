import { createRawRowEncoder, type ChunkWriter, type CopyFormat, type RawRowEncoder, type RowEncoder } from '../encode/index.js';
import type { SourceTable } from '../schema/index.js';
import { zeroLengthIsNull, type CellDecoder, type RawPage, type ScanPage } from '../source/index.js';

/**
 * One raw row encoder per table and executor, built from the first raw page any of its splits reads: every page is
 * checked against the planned columns (checkPageColumns), so later pages decode alike. Why not one per split: the
 * generated row function and its transcoders are new closures each time they are built, and V8 optimizes new code
 * from its interpreter up, so every split paid its first rows at several times the warm cost (~0.5 µs a row more
 * over 20,000-row splits in scratch measurements of the warm-up table).
 */
export class TableRawEncoder {
  /** By whether the page's rows start with a token cell: a range scan's do not, a read by key's do (see scanQuery). */
  private readonly encoders = new Map<boolean, RawRowEncoder>();

  constructor(private readonly table: SourceTable, private readonly format: CopyFormat) {}

  for(page: RawPage, decoder: CellDecoder): RawRowEncoder {
    const tokenCell = hasTokenCell(this.table, page);
    let encoder = this.encoders.get(tokenCell);
    if (encoder === undefined) this.encoders.set(tokenCell, (encoder = rawRowEncoder(this.table, page, decoder, this.format)));
    return encoder;
  }
}

/** The page's rows start with a `token(…)` cell: one cell more than the table's columns (checkPageColumns held). */
function hasTokenCell(table: SourceTable, page: RawPage): boolean {
  return page.columns.length === table.columns.length + 1;
}

/** What a split's pages are encoded with: the table's reference encoder, its raw encoder, and how pages come. */
export interface PageEncoding {
  readonly encoder: RowEncoder;
  readonly rawEncoder: TableRawEncoder;
  /** Set when pages are read as bytes (the raw page hook is installed and passed its self-test). */
  readonly rawPages: CellDecoder | undefined;
}

/**
 * How one split's pages become COPY lines: a raw page through the table's raw encoder, a page of row objects through
 * the reference encoder. Counts what the report shows for this split: cells that went by reference, and pages of a
 * raw scan that came as the driver's rows.
 */
export class PageEncoders {
  private referenceCells = 0;
  private driverPages = 0;

  constructor(private readonly encoding: PageEncoding) {}

  encoderFor(page: ScanPage): (index: number, out: ChunkWriter) => number {
    const rawPage = page.raw;
    const { rawPages: decoder, encoder } = this.encoding;
    // Asked for raw and given the driver's rows: the hook let a page of a tagged scan through. Counted, never hidden.
    if (rawPage === undefined && decoder !== undefined && page.length > 0) this.driverPages++;
    if (rawPage === undefined || decoder === undefined) return (index, out) => encoder.encode(page.values(index), out);
    const raw = this.encoding.rawEncoder.for(rawPage, decoder);
    // The encoder is the table's, shared by concurrent splits: this split's cells are the row's own difference.
    return (index, out) => {
      const before = raw.referenceCells();
      const keyEnd = raw.encode(rawPage, index, out);
      this.referenceCells += raw.referenceCells() - before;
      return keyEnd;
    };
  }

  /** Pages of raw scans that came as the driver's rows since the last call (for the report). */
  takeDriverPages(): number {
    const pages = this.driverPages;
    this.driverPages = 0;
    return pages;
  }

  /** Cells written by reference since the last call (for the report). */
  takeReferenceCells(): number {
    const cells = this.referenceCells;
    this.referenceCells = 0;
    return cells;
  }
}

export function rawRowEncoder(table: SourceTable, page: RawPage, decoder: CellDecoder, format: CopyFormat): RawRowEncoder {
  const tokenCell = hasTokenCell(table, page);
  const types = page.columns.slice(tokenCell ? 1 : 0).map((column) => column.type);
  return createRawRowEncoder(table, {
    decode: (bytes, column) => decoder.decode(bytes, types[column] as RawPage['columns'][number]['type']),
    emptyIsNull: types.map(zeroLengthIsNull),
    tokenCell,
  }, format);
}
