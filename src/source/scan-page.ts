import cassandra from 'cassandra-driver';
import { C2yError } from '../errors/index.js';
import { cqlTypeText, fromDriverType, UnsupportedTypeError, type CqlType, type SourceTable } from '../schema/index.js';
import { clientTokenOf, type ClientTokens } from './page-tokens.js';
import type { DriverType, RawPage, RawPageColumn } from './raw-page-hook.js';

/** One row as positional values: [token, ...columns in SourceTable order]. */
export type ScannedRow = unknown[];

/**
 * One page of a scan, whichever way it was read: row objects from the driver, or the page's bytes (raw). Rows are
 * addressed by index; a raw page decodes a row's values only when asked (a key for a reject, a commit position).
 */
export interface ScanPage {
  readonly length: number;
  token(row: number): bigint;
  /** The row's values; with `columns`, only the token and the first `columns` columns are decoded (the rest undefined). */
  values(row: number, columns?: number): ScannedRow;
  /** Whether the row's column (0-based in SourceTable order) is null. */
  isNull(row: number, column: number): boolean;
  /** A bigint column's value as a number (exact to 2^53: write times in microseconds are), or null. */
  int64(row: number, column: number): number | null;
  readonly raw: RawPage | undefined;
  /** The consumer is done with the page: a raw page's buffers go back for a later page (see RawPage.release). */
  release(): void;
}

export function rowsPage(rows: readonly ScannedRow[]): ScanPage {
  return {
    length: rows.length,
    token: (row) => (rows[row] as ScannedRow)[0] as bigint,
    values: (row) => rows[row] as ScannedRow,
    isNull: (row, column) => {
      const value = (rows[row] as ScannedRow)[column + 1];
      return value === null || value === undefined;
    },
    int64: (row, column) => int64Of((rows[row] as ScannedRow)[column + 1]),
    raw: undefined,
    release: () => undefined,
  };
}

/** A driver's bigint (a Long), a BigInt or a number, as a number; null when absent. */
function int64Of(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const long = value as { toNumber?: () => number };
  return typeof long.toNumber === 'function' ? long.toNumber() : Number(String(value));
}

export interface CellDecoder {
  decode(bytes: Buffer, type: DriverType): unknown;
}

/** The driver's own codec (protocol v4, the client's encoding options): what a row object would have held. */
export function cellDecoder(client: unknown): CellDecoder {
  const Encoder = (cassandra as unknown as { Encoder: new (version: number, options: unknown) => CellDecoder }).Encoder;
  return new Encoder(cassandra.types.protocolVersion.v4, (client as { options: unknown }).options);
}

/** Zero-length cells the driver decodes as null: all but text, ascii, varchar, blob and custom types. */
const ZERO_LENGTH_VALUE_CODES: ReadonlySet<number> = new Set([0x0000, 0x0001, 0x0003, 0x000a, 0x000d]);

export function zeroLengthIsNull(type: DriverType): boolean {
  return !ZERO_LENGTH_VALUE_CODES.has(type.code);
}

/**
 * A raw page as a ScanPage. With `clientTokens`, the scan did not select `token(…)` (scanQuery): its rows are the
 * table's columns alone and each row's token is hashed from its partition key here (clientTokenOf).
 */
export function rawScanPage(page: RawPage, decoder: CellDecoder, clientTokens?: ClientTokens): ScanPage {
  const width = page.columns.length;
  const first = clientTokens === undefined ? 1 : 0;
  const nullWhenEmpty = page.columns.map((column) => zeroLengthIsNull(column.type));
  const cellIsNull = (cell: number, column: number): boolean => {
    const length = page.lengths[cell] as number;
    return length < 0 || (length === 0 && nullWhenEmpty[column] === true);
  };
  const tokenOf = clientTokens === undefined ? tokenCellOf(page, width) : clientTokenOf(page, width, clientTokens);
  const decodeCell = (row: number, index: number): unknown => {
    const cell = row * width + index;
    const start = page.starts[cell] as number;
    return cellIsNull(cell, index) ? null : decoder.decode(page.buffer.subarray(start, start + (page.lengths[cell] as number)), (page.columns[index] as RawPageColumn).type);
  };
  return {
    length: page.rowCount,
    token: tokenOf,
    // [token, ...columns], the first `columns` of the columns decoded.
    values: (row, columns = width - first) => {
      const values: ScannedRow = [tokenOf(row)];
      for (let column = 0; column < width - first; column++) values.push(column >= columns ? undefined : decodeCell(row, column + first));
      return values;
    },
    isNull: (row, column) => cellIsNull(row * width + column + first, column + first),
    int64: (row, column) => {
      const cell = row * width + column + first;
      return cellIsNull(cell, column + first) || page.lengths[cell] !== 8 ? null : Number(page.buffer.readBigInt64BE(page.starts[cell] as number));
    },
    raw: page,
    release: () => page.release(),
  };
}

/** Rows' tokens from their first cell, `token(…)`: rows of one partition share it, so its BigInt is made once. */
function tokenCellOf(page: RawPage, width: number): (row: number) => bigint {
  let tokenAt = -1;
  let tokenHigh = 0;
  let tokenLow = 0;
  let token = 0n;
  const bytes = page.buffer;
  const int32At = (at: number): number => ((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
  return (row) => {
    const at = page.starts[row * width] as number;
    const high = int32At(at);
    const low = int32At(at + 4);
    if (tokenAt < 0 || high !== tokenHigh || low !== tokenLow) {
      token = page.buffer.readBigInt64BE(at);
      tokenAt = at;
      tokenHigh = high;
      tokenLow = low;
    }
    return token;
  };
}

/**
 * The page's columns must be the planned ones: the token (if selected), then each column of the table with its planned type. A
 * column dropped, added or retyped during the run stops the split naming it, rather than misplacing values.
 */
export function checkPageColumns(table: SourceTable, columns: readonly RawPageColumn[], tokenCell = true): void {
  const first = tokenCell ? 1 : 0;
  if (columns.length !== table.columns.length + first) {
    throw schemaChanged(table, `pages carry ${columns.length - first} columns where ${table.columns.length} were planned`, undefined);
  }
  table.columns.forEach((column, index) => {
    const pageType = (columns[index + first] as RawPageColumn).type;
    if (customTypeMatches(column.type, pageType)) return;
    const got = typeTextOf(pageType);
    // Result metadata does not say whether a collection or UDT is frozen: compare the shapes without it.
    const planned = cqlTypeText(unfrozen(column.type));
    if (got !== planned) throw schemaChanged(table, `column "${column.name}" is now ${got}, planned as ${planned}`, column.name);
  });
}

/**
 * Result metadata names vectors (and durations, on protocol v4) by their server class, e.g.
 * `org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)`, where the schema
 * gives `vector<float, 3>`: the class and the dimension must agree.
 */
function customTypeMatches(planned: CqlType, page: DriverType): boolean {
  if (page.code !== 0 || typeof page.info !== 'string') return false;
  if (planned.kind === 'scalar' && planned.name === 'duration') return page.info.endsWith('DurationType');
  if (planned.kind !== 'vector') return false;
  const match = /VectorType\((.*),\s*(\d+)\)$/.exec(page.info);
  return match !== null && Number(match[2]) === planned.dimension && (match[1] ?? '').trim().endsWith(VECTOR_ELEMENT_CLASS[cqlTypeText(planned.element)] ?? '\u0000');
}

/** Server classes of the element types a vector can have (CQL name → marshal class). */
const VECTOR_ELEMENT_CLASS: Readonly<Record<string, string>> = {
  float: 'FloatType', double: 'DoubleType', int: 'Int32Type', bigint: 'LongType', smallint: 'ShortType', tinyint: 'ByteType',
  text: 'UTF8Type', ascii: 'AsciiType', boolean: 'BooleanType', uuid: 'UUIDType', timeuuid: 'TimeUUIDType', blob: 'BytesType',
  decimal: 'DecimalType', varint: 'IntegerType', timestamp: 'TimestampType', date: 'SimpleDateType', time: 'TimeType', inet: 'InetAddressType',
};

function unfrozen(type: CqlType): CqlType {
  switch (type.kind) {
    case 'scalar': return type;
    case 'list':
    case 'set': return { ...type, element: unfrozen(type.element), frozen: false };
    case 'map': return { ...type, key: unfrozen(type.key), value: unfrozen(type.value), frozen: false };
    case 'tuple': return { ...type, elements: type.elements.map(unfrozen) };
    case 'udt': return { ...type, fields: type.fields.map((field) => ({ name: field.name, type: unfrozen(field.type) })), frozen: false };
    case 'vector': return { ...type, element: unfrozen(type.element) };
  }
}

function typeTextOf(type: DriverType): string {
  try {
    return cqlTypeText(unfrozen(fromDriverType(type as Parameters<typeof fromDriverType>[0])));
  } catch (error) {
    if (error instanceof UnsupportedTypeError) return `an unsupported type (${error.message})`;
    throw error;
  }
}

function schemaChanged(table: SourceTable, detail: string, column: string | undefined): C2yError {
  return new C2yError('SOURCE_SCHEMA_CHANGED', `${table.keyspace}.${table.name} changed during the run: ${detail}`, {
    hint: 'finish the schema change, then start a new run with --restart (or map the column, and --resume)',
    retryable: false,
    context: column === undefined ? { table: `${table.keyspace}.${table.name}` } : { table: `${table.keyspace}.${table.name}`, column },
  });
}
