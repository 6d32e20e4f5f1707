import { messageOf } from '../errors/index.js';
import { driverFrameHeaderClass, driverParserClass } from './driver-internals.js';
import { FRAMED_READS, installRawPageHook, rawPageOf, tagRawStream, type DriverType, type RawPage } from './raw-page-hook.js';
import { cellDecoder, type CellDecoder } from './scan-page.js';

/** Whether pages are read as bytes in this process, and why not where they are not (shown in the report). */
export interface ReadPath {
  readonly decoder: CellDecoder | undefined;
  readonly detail: string;
}

const RESULT_OPCODE = 0x08;
const ROWS_KIND = 2;
const GLOBAL_TABLES_SPEC = 0x0001;
const LIST_CODE = 0x0020;
const MAP_CODE = 0x0021;
const SET_CODE = 0x0022;

/** A column of a RESULT Rows body: its name and its type as the protocol writes it (see typeOption). */
export interface BodyColumn {
  readonly name: string;
  readonly type: DriverType;
}

/** A type's protocol [option]: its code, then a collection's element, key and value options. */
function typeOption(type: DriverType): Buffer[] {
  const code = Buffer.alloc(2);
  code.writeUInt16BE(type.code);
  const inner = type.code === LIST_CODE || type.code === SET_CODE ? [type.info as DriverType] : type.code === MAP_CODE ? (type.info as DriverType[]) : [];
  return [code, ...inner.flatMap(typeOption)];
}

/** A RESULT Rows body (global table spec ks.t) of these columns and rows, each cell its bytes or null. */
export function rowsBody(columns: readonly BodyColumn[], rows: ReadonlyArray<ReadonlyArray<Buffer | null>>): Buffer {
  const parts: Buffer[] = [];
  const int = (n: number): void => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const string = (text: string): void => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(Buffer.byteLength(text));
    parts.push(b, Buffer.from(text));
  };
  int(ROWS_KIND);
  int(GLOBAL_TABLES_SPEC);
  int(columns.length);
  string('ks');
  string('t');
  for (const column of columns) {
    string(column.name);
    parts.push(...typeOption(column.type));
  }
  int(rows.length);
  for (const row of rows) {
    for (const cell of row) {
      int(cell === null ? -1 : cell.length);
      if (cell !== null) parts.push(cell);
    }
  }
  return Buffer.concat(parts);
}

/** The self-test's body: (t bigint, c0 int, c1 varchar), rows (42, 7, 'a\tb') and (-1, null, ''). */
export function cannedBody(): Buffer {
  const int64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const int32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const columns = [{ name: 't', type: { code: 0x0002 } }, { name: 'c0', type: { code: 0x0009 } }, { name: 'c1', type: { code: 0x000d } }];
  return rowsBody(columns, [[int64(42n), int32(7), Buffer.from('a\tb')], [int64(-1n), null, Buffer.alloc(0)]]);
}

/**
 * Runs the canned frame through a driver Parser with the hook: in one chunk, or in `pieces` as a page larger than a
 * socket read arrives (then gathered into a pooled buffer). Each piece but the last is overwritten once the parser
 * has it, as a socket read may be reused: the page must hold copies, never a read. Returns the page, or what went wrong.
 */
export function parseCanned(pieces: number, body = cannedBody()): RawPage | string {
  const Parser = driverParserClass as new (options: object, encoder: unknown) => { write(item: unknown): void; read(): unknown };
  const FrameHeader = driverFrameHeaderClass as new (version: number, flags: number, streamId: number, opcode: number, bodyLength: number) => unknown;
  // Framed the way the driver's Protocol hands bodies on: inside a larger chunk, at an offset.
  const chunk = Buffer.concat([Buffer.alloc(9), body, Buffer.alloc(5)]);
  const parser = new Parser({ objectMode: true }, null);
  tagRawStream(parser, 7);
  const header = new FrameHeader(4, 0, 7, RESULT_OPCODE, body.length);
  const cuts = Array.from({ length: pieces - 1 }, (_, i) => 9 + Math.floor((body.length * (i + 1)) / pieces));
  [0, ...cuts].forEach((from, i) => {
    const piece = Buffer.from(chunk.subarray(from, cuts[i] ?? chunk.length));
    parser.write({ header, chunk: piece, offset: i === 0 ? 9 : 0, frameEnded: i === cuts.length });
    if (i < cuts.length) piece.fill(0xee);
  });
  for (let item = parser.read(); item !== null; item = parser.read()) {
    const { error, result } = item as { error?: unknown; result?: { rows?: unknown } };
    if (error !== undefined) return `the canned frame failed to parse: ${messageOf(error)}`;
    const page = rawPageOf(result?.rows);
    if (page !== undefined) return page;
  }
  return 'the canned frame came back without a raw page';
}

function checkCanned(page: RawPage, decoder: CellDecoder): string | undefined {
  const cell = (index: number): Buffer => page.buffer.subarray(page.starts[index] as number, (page.starts[index] as number) + (page.lengths[index] as number));
  const seen = [
    page.rowCount, page.columns.map((column) => `${column.name}:${column.type.code}`).join(','),
    page.buffer.readBigInt64BE(page.starts[0] as number), decoder.decode(cell(1), { code: 0x0009 }), cell(2).toString(),
    page.buffer.readBigInt64BE(page.starts[3] as number), page.lengths[4], page.lengths[5],
  ].map(String).join('|');
  const expected = [2, 't:2,c0:9,c1:13', 42, 7, 'a\tb', -1, -1, 0].map(String).join('|');
  return seen === expected ? undefined : `the canned frame read back as ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`;
}

/**
 * The read path of an executor whose pages are raw: 'raw pages, tokens hashed by c2y' (its range scans ask
 * Cassandra for no `token(…)`, see scanQuery), naming Node's socket reads and why when the framed reads' self-test
 * failed (pages still raw, one copy more each), so the report says so and not only `framed` = 0.
 */
export function rawPagesDetail(framedReads: string): string {
  return framedReads === FRAMED_READS ? RAW_PAGES : `${RAW_PAGES}, ${framedReads}`;
}

const RAW_PAGES = 'raw pages, tokens hashed by c2y';

/**
 * Installs the raw page hook and proves it on a canned frame. Any failure (another driver version, a changed
 * parser) leaves pages to the driver's rows, with the reason for the report: never a wrong byte.
 */
export function rawReadPath(client: unknown): ReadPath {
  try {
    const hook = installRawPageHook();
    if (!hook.installed) return { decoder: undefined, detail: `driver rows: ${hook.reason}` };
    const decoder = cellDecoder(client);
    const problem = [1, 3].map((pieces) => {
      const page = parseCanned(pieces);
      const found = typeof page === 'string' ? page : checkCanned(page, decoder);
      if (typeof page !== 'string') page.release();
      return found;
    }).find((found) => found !== undefined);
    return problem === undefined ? { decoder, detail: rawPagesDetail(hook.framedReads) } : { decoder: undefined, detail: `driver rows: the raw page self-test failed: ${problem}` };
  } catch (error) {
    return { decoder: undefined, detail: `driver rows: the raw page self-test failed: ${messageOf(error)}` };
  }
}
