import { C2yError } from '../errors/index.js';
import { driverConnectionClass, driverParserClass, driverVersion } from './driver-internals.js';
import { cellOffsets, frameBuffers, pooledFrameOwners } from './page-buffer-pool.js';
import { framedReadsSelfTest, installFramedReads } from './socket-frames.js';

/**
 * cassandra-driver has no raw-rows API: it builds a Row object and one JS value per cell for every page. For c2y's
 * own range scans (tagged by a query option) this hook takes the RESULT Rows body as it stands, records where each
 * cell lies, and hands the page on as bytes. Everything else (connections, paging state, retries, prepared
 * statements, every other query) stays the driver's. The hook reaches into driver internals, so it is installed
 * only on the exact driver version it was written against, and self-tested at start-up (raw-page-self-test.ts).
 */
export const PINNED_DRIVER_VERSION = '4.10.0';

/** Query option that asks for raw pages: `client.execute(cql, params, { ...options, [RAW_PAGES_OPTION]: true })`. */
export const RAW_PAGES_OPTION = 'c2yRawPages';

export interface DriverType {
  readonly code: number;
  readonly info?: unknown;
}

export interface RawPageColumn {
  readonly name: string;
  readonly type: DriverType;
}

/** One page as bytes: cell c of row r is buffer[starts[r * columns + c], + lengths[...]); a negative length is null. */
export interface RawPage {
  readonly buffer: Buffer;
  readonly columns: readonly RawPageColumn[];
  readonly rowCount: number;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  /**
   * Gives the page's buffers back for a later page. Only its last holder may call it, once nothing reads the page
   * again: its bytes are overwritten by the next page that takes them. Idempotent.
   */
  release(): void;
}

const RAW_PAGE = Symbol.for('c2y.rawPage');

/** The raw page a tagged query's `result.rows` carries (an empty array with the page attached), if any. */
export function rawPageOf(rows: unknown): RawPage | undefined {
  return rows === null || typeof rows !== 'object' ? undefined : (rows as { [RAW_PAGE]?: RawPage })[RAW_PAGE];
}

interface FrameItem { header: { streamId: number; bodyLength: number }; chunk: Buffer; offset: number }
interface FrameInfo {
  header: FrameItem['header']; meta: { columns: RawPageColumn[] }; flagsInfo: unknown; byRow?: boolean; parsingError?: boolean; c2yItem?: FrameItem;
  buffers?: Buffer[] | null; bufferLength?: number;
  /** The pooled buffer a tagged frame's body was gathered into, if it came in more than one chunk. */
  c2yBody?: Buffer;
}
interface FrameReader { buf: Buffer; offset: number }
interface ParserLike { push(item: unknown): boolean }
interface ParserPrototype {
  parseBody(this: ParserLike, frameInfo: FrameInfo, item: FrameItem): unknown;
  parseRows(this: ParserLike, frameInfo: FrameInfo, reader: FrameReader): unknown;
  getFrameBuffer(this: ParserLike, frameInfo: FrameInfo, item: FrameItem): Buffer;
  addFrameBuffer(this: ParserLike, frameInfo: FrameInfo, item: FrameItem): void;
}
interface ConnectionPrototype {
  _write(this: { parser: ParserLike }, operation: unknown, streamId: number): unknown;
}

/** Stream ids whose current request asked for raw pages, per connection's parser. */
const rawStreams = new WeakMap<ParserLike, Set<number>>();

/** For the self-test: a parser of its own, one stream tagged, as `_write` would have tagged it. */
export function tagRawStream(parser: object, streamId: number): void {
  streamsOf(parser as ParserLike).add(streamId);
}

function streamsOf(parser: ParserLike): Set<number> {
  let streams = rawStreams.get(parser);
  if (!streams) rawStreams.set(parser, (streams = new Set()));
  return streams;
}

function asksForRawPages(operation: unknown): boolean {
  const options = (operation as { request?: { options?: { getRawQueryOptions?: () => unknown } } } | null)?.request?.options;
  const raw = options?.getRawQueryOptions?.() as Record<string, unknown> | undefined;
  return raw?.[RAW_PAGES_OPTION] === true;
}

export class CorruptPageError extends C2yError {
  constructor(detail: string) {
    super('SOURCE_PAGE_CORRUPT', `a page of the range scan is truncated or corrupt: ${detail}`, {
      hint: 'the page is read again, and the split resumes from its checkpoint if it stays corrupt; report it if it persists',
      retryable: true,
    });
  }
}

type CellLayout = Omit<RawPage, 'columns' | 'buffer' | 'release'> & { readonly offsets: Int32Array | undefined };

/**
 * Where every cell of the page lies; throws CorruptPageError when a length runs past the body or bytes are left over.
 * `offsets` (at least 2 × cells long) holds starts then lengths when given; else they are allocated.
 */
export function locateCells(buffer: Buffer, offset: number, end: number, columnCount: number, offsets?: (cells: number) => Int32Array): CellLayout {
  if (offset + 4 > end) throw new CorruptPageError('no row count');
  const rowCount = buffer.readInt32BE(offset);
  let at = offset + 4;
  const cells = rowCount * columnCount;
  if (rowCount < 0 || cells * 4 > end - at) throw new CorruptPageError(`${rowCount} rows of ${columnCount} cells cannot fit in ${end - at} bytes`);
  const storage = offsets?.(cells);
  const starts = storage ? storage.subarray(0, cells) : new Int32Array(cells);
  const lengths = storage ? storage.subarray(cells, 2 * cells) : new Int32Array(cells);
  for (let cell = 0; cell < cells; cell++) {
    if (at + 4 > end) throw new CorruptPageError(`the body ends inside row ${Math.floor(cell / columnCount)}`);
    // By hand, not buffer.readInt32BE: a method call per cell that V8 did not inline here (~10 % of this loop).
    const length = ((buffer[at] as number) << 24) | ((buffer[at + 1] as number) << 16) | ((buffer[at + 2] as number) << 8) | (buffer[at + 3] as number);
    at += 4;
    starts[cell] = at;
    lengths[cell] = length;
    if (length > 0) {
      at += length;
      if (at > end) throw new CorruptPageError(`cell ${cell % columnCount} of row ${Math.floor(cell / columnCount)} claims ${length} bytes past the end of the body`);
    }
  }
  if (at !== end) throw new CorruptPageError(`${end - at} bytes left after ${rowCount} rows`);
  return { rowCount, starts, lengths, offsets: storage };
}

/** The page's release: its pooled body (if it had one) and cell offsets go back, once. */
function releaser(body: Buffer | undefined, offsets: Int32Array | undefined): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (body) frameBuffers.release(body);
    if (offsets) cellOffsets.release(offsets);
  };
}

function parseRawRows(parser: ParserLike, frameInfo: FrameInfo, reader: FrameReader): void {
  const item = frameInfo.c2yItem;
  const end = item ? item.offset + frameInfo.header.bodyLength : reader.buf.length;
  // Gathered from several reads (appendBody), or read whole into a pooled buffer (socket-frames.ts), or neither.
  const body = frameInfo.c2yBody ?? pooledFrameOwners.get(reader.buf);
  frameInfo.c2yBody = undefined;
  pooledFrameOwners.delete(reader.buf);
  let page: RawPage;
  try {
    const cells = locateCells(reader.buf, reader.offset, end, frameInfo.meta.columns.length, (count) => cellOffsets.acquire(2 * count));
    page = { buffer: reader.buf, columns: frameInfo.meta.columns, rowCount: cells.rowCount, starts: cells.starts, lengths: cells.lengths, release: releaser(body, cells.offsets) };
  } catch (error) {
    if (body) frameBuffers.release(body);
    frameInfo.parsingError = true;
    parser.push({ header: frameInfo.header, error });
    return;
  }
  const rows = Object.assign([], { [RAW_PAGE]: page });
  parser.push({ header: frameInfo.header, result: { rows, meta: frameInfo.meta, flags: frameInfo.flagsInfo } });
}

/**
 * A chunk of a tagged frame's body, copied into the frame's pooled buffer as it arrives, where the driver would keep
 * every socket read until the frame is whole and then copy them all: a ~1.5 MB page was held twice over while its
 * last reads came in, and a read can never be reused under the page. `frameInfo.buffers` stays an empty list, so the
 * driver still sees a frame in progress and hands its last chunk to getFrameBuffer.
 */
function appendBody(frameInfo: FrameInfo, item: FrameItem): void {
  const length = item.header.bodyLength;
  let body = frameInfo.c2yBody;
  let at = frameInfo.bufferLength ?? 0;
  if (body === undefined) {
    // The frame's first chunk: its body starts at item.offset.
    body = frameInfo.c2yBody = frameBuffers.acquire(length);
    at = item.chunk.copy(body, 0, item.offset, Math.min(item.chunk.length, item.offset + length));
  } else {
    if (item.offset > 0) throw new CorruptPageError(`a continuation of the frame body starts at offset ${item.offset}`);
    at += item.chunk.copy(body, at, 0, Math.min(item.chunk.length, length - at));
  }
  frameInfo.buffers = [];
  frameInfo.bufferLength = at;
  // The frame stays tagged, but not through this read: held until the next read of a frame that may come in slowly,
  // it could outlive V8's young collections, and only a full one would free it.
  frameInfo.c2yItem = { header: item.header, chunk: NO_BYTES, offset: 0 };
}

/** What a tagged frame in progress keeps of its last read: nothing (parseBody tags the final read again). */
const NO_BYTES = Buffer.alloc(0);

/** The frame's last chunk joins the body appendBody gathered; the page reads the pooled buffer. */
function gatherBody(frameInfo: FrameInfo, item: FrameItem): Buffer {
  // The last chunk may run on into the next frame: only this frame's body is copied.
  const length = item.header.bodyLength;
  // The driver asks for the frame buffer only after addFrameBuffer, which a tagged frame's chunks all reach.
  const pooled = frameInfo.c2yBody;
  if (pooled === undefined) throw new CorruptPageError('the frame body ended before its first chunk was gathered');
  let at = frameInfo.bufferLength ?? 0;
  at += item.chunk.copy(pooled, at, 0, Math.min(item.chunk.length, length - at));
  if (at !== length) throw new CorruptPageError(`the frame body holds ${at} of its ${length} bytes`);
  frameInfo.buffers = null;
  return pooled.subarray(0, length);
}

/** HookState.framedReads when plain-TCP connections read through frame assemblers (socket-frames.ts). */
export const FRAMED_READS = 'framed';

/** Whether the hook is in, and how plain-TCP connections read: through frame assemblers, or Node's reads and why. */
export type HookState = { readonly installed: true; readonly framedReads: string } | { readonly installed: false; readonly reason: string };
let state: HookState | undefined;

/** Installs the hook once per process; says why not where the driver is not the pinned version. */
export function installRawPageHook(): HookState {
  if (state) return state;
  if (driverVersion !== PINNED_DRIVER_VERSION) return (state = { installed: false, reason: `cassandra-driver is ${driverVersion}; the raw page hook is written for ${PINNED_DRIVER_VERSION}` });
  const parser = (driverParserClass as { prototype: ParserPrototype }).prototype;
  const connection = (driverConnectionClass as { prototype: ConnectionPrototype }).prototype;
  const { parseBody, parseRows, getFrameBuffer, addFrameBuffer } = parser;
  const write = connection._write;
  // Every request passes here with its stream id before its response can arrive: the set always names the ids
  // whose current request is a tagged scan, never a stale one.
  connection._write = function (operation, streamId) {
    if (asksForRawPages(operation)) streamsOf(this.parser).add(streamId);
    else rawStreams.get(this.parser)?.delete(streamId);
    return write.call(this, operation, streamId);
  };
  parser.parseBody = function (frameInfo, item) {
    if (rawStreams.get(this)?.has(item.header.streamId) === true) frameInfo.c2yItem = item;
    return parseBody.call(this, frameInfo, item);
  };
  parser.addFrameBuffer = function (frameInfo, item) {
    if (frameInfo.c2yItem === undefined) addFrameBuffer.call(this, frameInfo, item);
    else appendBody(frameInfo, item);
  };
  parser.getFrameBuffer = function (frameInfo, item) {
    return frameInfo.c2yItem === undefined ? getFrameBuffer.call(this, frameInfo, item) : gatherBody(frameInfo, item);
  };
  parser.parseRows = function (frameInfo, reader) {
    if (frameInfo.c2yItem === undefined || frameInfo.byRow === true || frameInfo.parsingError === true) return parseRows.call(this, frameInfo, reader);
    rawStreams.get(this)?.delete(frameInfo.header.streamId);
    return parseRawRows(this, frameInfo, reader);
  };
  const problem = framedReadsSelfTest();
  if (problem === undefined) installFramedReads(driverConnectionClass, (parser, streamId) => rawStreams.get(parser as ParserLike)?.has(streamId) === true);
  return (state = { installed: true, framedReads: problem === undefined ? FRAMED_READS : `Node's socket reads (the framed reads' self-test failed: ${problem})` });
}
