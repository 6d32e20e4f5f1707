import { describe, expect, it } from 'vitest';
import type { SourceTable } from '../../src/schema/index.js';
import { C2yError } from '../../src/errors/index.js';
import { CorruptPageError, EXACT_ENCODING, ReusablePool, cannedBody, checkPageColumns, keepPageBuffers, locateCells, parseCanned, rawPagesDetail, rawReadPath } from '../../src/source/index.js';
import { driverFrameHeaderClass, driverParserClass } from '../../src/source/driver-internals.js';
import { installRawPageHook, tagRawStream } from '../../src/source/raw-page-hook.js';

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** Rows body after the metadata: row count, then each cell's length and bytes. */
function rowsBody(rows: ReadonlyArray<ReadonlyArray<Buffer | null>>): Buffer {
  return Buffer.concat([int32(rows.length), ...rows.flat().flatMap((cell) => (cell === null ? [int32(-1)] : [int32(cell.length), cell]))]);
}

describe('raw page hook', () => {
  it('passes its self-test on the pinned driver (a canned frame through the driver\'s own parser)', () => {
    expect(rawReadPath({ options: { encoding: EXACT_ENCODING } })).toMatchObject({ detail: 'raw pages, tokens hashed by c2y' });
  });

  it('names Node\'s socket reads in the read path when the framed reads\' self-test failed, and nothing more when it passed', () => {
    expect(rawPagesDetail('framed')).toBe('raw pages, tokens hashed by c2y');
    expect(rawPagesDetail('Node\'s socket reads (the framed reads\' self-test failed: x)')).toBe('raw pages, tokens hashed by c2y, Node\'s socket reads (the framed reads\' self-test failed: x)');
  });

  it('locates every cell, nulls as negative lengths', () => {
    const body = rowsBody([[Buffer.from('ab'), null], [Buffer.alloc(0), Buffer.from('xyz')]]);
    const framed = Buffer.concat([Buffer.alloc(3), body, Buffer.alloc(4, 0xee)]);
    const cells = locateCells(framed, 3, 3 + body.length, 2);
    expect(cells.rowCount).toBe(2);
    expect([...cells.lengths]).toEqual([2, -1, 0, 3]);
    expect(framed.subarray(cells.starts[3]!, cells.starts[3]! + 3).toString()).toBe('xyz');
  });

  it('refuses a truncated or corrupt body with a retryable typed error, never reading past it', () => {
    const body = rowsBody([[Buffer.from('ab'), Buffer.from('cd')]]);
    const cases: Array<[Buffer, number]> = [
      [body.subarray(0, body.length - 1), 2], // truncated inside the last cell
      [body, 3], // more columns than the body holds
      [Buffer.concat([body, Buffer.alloc(2)]), 2], // bytes left over
      [Buffer.concat([int32(1), int32(1000), Buffer.from('x')]), 1], // a length past the end
      [int32(-3), 1], // a negative row count
      [Buffer.concat([int32(2 ** 30), int32(1)]), 4], // a row count that cannot fit
    ];
    for (const [buffer, columns] of cases) {
      let thrown: unknown;
      try {
        locateCells(buffer, 0, buffer.length, columns);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CorruptPageError);
      expect(thrown).toMatchObject({ code: 'SOURCE_PAGE_CORRUPT', retryable: true });
    }
  });

  it('stops on page columns that differ from the plan, naming the column', () => {
    const table: SourceTable = {
      keyspace: 'k', name: 't', partitionKeys: ['id'], clusteringKeys: [],
      columns: [{ name: 'id', type: { kind: 'scalar', name: 'int' }, role: 'partition' }, { name: 'note', type: { kind: 'scalar', name: 'text' }, role: 'regular' }],
    };
    const token = { name: 't', type: { code: 0x0002 } };
    expect(() => checkPageColumns(table, [token, { name: 'c0', type: { code: 0x0009 } }, { name: 'c1', type: { code: 0x000d } }])).not.toThrow();
    const retyped = (): void => checkPageColumns(table, [token, { name: 'c0', type: { code: 0x0009 } }, { name: 'c1', type: { code: 0x0002 } }]);
    expect(retyped).toThrow(C2yError);
    expect(retyped).toThrow(/column "note" is now bigint, planned as text/);
    expect(() => checkPageColumns(table, [token, { name: 'c0', type: { code: 0x0009 } }])).toThrow(/SOURCE_SCHEMA_CHANGED|pages carry 1 columns where 2 were planned/);
    const vector: SourceTable = { ...table, columns: [table.columns[0]!, { name: 'v', type: { kind: 'vector', element: { kind: 'scalar', name: 'float' }, dimension: 3 }, role: 'regular' }] };
    const vectorPage = (info: string) => [token, { name: 'c0', type: { code: 0x0009 } }, { name: 'c1', type: { code: 0, info } }];
    expect(() => checkPageColumns(vector, vectorPage('org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)'))).not.toThrow();
    expect(() => checkPageColumns(vector, vectorPage('org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 4)'))).toThrow(/column "v"/);
    expect(() => checkPageColumns(vector, vectorPage('org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.Int32Type , 3)'))).toThrow(/column "v"/);
    // Result metadata never says frozen: a frozen collection matches its page's plain one.
    const frozen: SourceTable = { ...table, columns: [table.columns[0]!, { name: 'tags', type: { kind: 'list', element: { kind: 'scalar', name: 'text' }, frozen: true }, role: 'regular' }] };
    expect(() => checkPageColumns(frozen, [token, { name: 'c0', type: { code: 0x0009 } }, { name: 'c1', type: { code: 0x0020, info: { code: 0x000d } } }])).not.toThrow();
  });
});

describe('page buffers reused', () => {
  it('gathers a page split over socket reads into a pooled buffer, and gives it to the next page only once released', () => {
    keepPageBuffers(4);
    const first = parseCanned(3);
    if (typeof first === 'string') throw new Error(first);
    const firstBytes = Buffer.from(first.buffer);
    // Not released yet: the next page must not get its buffer.
    const second = parseCanned(3);
    if (typeof second === 'string') throw new Error(second);
    expect(second.buffer.buffer).not.toBe(first.buffer.buffer);
    first.release();
    first.release(); // idempotent: one release, one place in the pool
    const other = cannedBody();
    other[other.indexOf('a\tb')] = 0x7a; // some other content of the same size: 'z\tb'
    const third = parseCanned(3, other);
    if (typeof third === 'string') throw new Error(third);
    expect(third.buffer.buffer).toBe(first.buffer.buffer);
    expect(Buffer.compare(third.buffer, other)).toBe(0);
    const fourth = parseCanned(3);
    if (typeof fourth === 'string') throw new Error(fourth);
    expect(fourth.buffer.buffer).not.toBe(third.buffer.buffer);
    expect(Buffer.compare(fourth.buffer, firstBytes)).toBe(0);
  });

  it('copies each socket read of a page as it arrives: the page never holds a read, nor a page twice over', () => {
    // parseCanned overwrites every piece but the last once the parser has it: a page holding a read would show 0xee.
    for (const pieces of [2, 3, 7]) {
      const body = cannedBody();
      const page = parseCanned(pieces, body);
      if (typeof page === 'string') throw new Error(page);
      expect(Buffer.compare(page.buffer, body)).toBe(0);
      page.release();
    }
  });

  it('keeps no reference to a socket read once it is copied, while the rest of its frame is awaited', () => {
    // A read held by the frame in progress outlives V8's young collections and is freed only by a full one.
    expect(installRawPageHook()).toMatchObject({ installed: true });
    const Parser = driverParserClass as new (options: object, encoder: unknown) => { write(item: unknown): void; frames: Record<string, unknown> };
    const FrameHeader = driverFrameHeaderClass as new (version: number, flags: number, streamId: number, opcode: number, bodyLength: number) => unknown;
    const body = cannedBody();
    const parser = new Parser({ objectMode: true }, null);
    tagRawStream(parser, 7);
    const header = new FrameHeader(4, 0, 7, 0x08, body.length);
    const half = Math.floor(body.length / 2);
    const reads = [Buffer.concat([Buffer.alloc(9), body.subarray(0, half)]), Buffer.from(body.subarray(half, half + 10))];
    parser.write({ header, chunk: reads[0], offset: 9, frameEnded: false });
    parser.write({ header, chunk: reads[1], offset: 0, frameEnded: false });
    const inProgress = parser.frames[7];
    expect(inProgress).toBeDefined();
    for (const read of reads) expect(referencesBytesOf(inProgress, read.buffer, 4)).toBe(false);
  });

  it('keeps as many free buffers as were out at once, from its limit up to twice it, and reuses only one large enough', () => {
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 2);
    const [a, b, c] = [pool.acquire(100), pool.acquire(100), pool.acquire(100)];
    for (const item of [a, b, c]) pool.release(item);
    // Three were out at once: the third is kept for the next time, not made new and dropped again.
    expect(pool.freeCount).toBe(3);
    expect(pool.acquire(1000).length).toBe(1250);
    expect([a, b, c]).toContain(pool.acquire(90));
    // Counted as they are handed out: four made new (a, b, c and the 1000), one taken again.
    expect(pool.acquired).toEqual({ allocated: 4, reused: 1, atOnce: 3 });
    pool.setLimit(0);
    expect(pool.freeCount).toBe(0);
  });

  it('never keeps more than twice its limit, however many were out at once (releases that leak do not grow it)', () => {
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 2);
    const items = Array.from({ length: 9 }, () => pool.acquire(10));
    for (const item of items) pool.release(item);
    expect(pool.freeCount).toBe(4);
    // Steady state after the peak: as many acquired as released, each reused.
    for (let round = 0; round < 5; round++) pool.release(pool.acquire(10));
    expect(pool.acquired).toEqual({ allocated: 9, reused: 5, atOnce: 9 });
  });

  it('hands out the smallest free buffer that fits, keeping the large one for the next full page', () => {
    // First fit gave a short page the large buffer, and the full page after it a new one.
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 4);
    const [large, small] = [pool.acquire(1000), pool.acquire(100)];
    pool.release(large);
    pool.release(small);
    expect(pool.acquire(90)).toBe(small);
    expect(pool.acquire(900)).toBe(large);
    expect(pool.acquired).toEqual({ allocated: 2, reused: 2, atOnce: 2 });
  });

  it('reserving, brings itself to its limit at the first page: written items of its size, so RSS holds the plan from the start', () => {
    const written: Uint8Array[] = [];
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 4, { from: 50, prefault: (item) => written.push(item.fill(7)) });
    const first = pool.acquire(100);
    // One handed out and three kept, every one written once: none made later, none touched for the first time later.
    expect(pool.freeCount).toBe(3);
    expect(written).toHaveLength(4);
    expect(written.every((item) => item.length === 125)).toBe(true);
    const more = [pool.acquire(110), pool.acquire(120), pool.acquire(90)];
    expect(pool.acquired).toEqual({ allocated: 4, reused: 3, atOnce: 4 });
    for (const item of [first, ...more]) pool.release(item);
    expect(pool.freeCount).toBe(4);
  });

  it('reserving, a page larger than its items replaces the free ones too small for it; pages under its threshold come singly', () => {
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 2, { from: 50, prefault: (item) => item.fill(0) });
    // A start-up self-test's small page first: made alone, as before.
    pool.release(pool.acquire(10));
    expect(pool.freeCount).toBe(1);
    const large = pool.acquire(1000);
    expect(large.length).toBe(1250);
    // The small free item went; one of the new size waits beside the one out.
    expect(pool.freeCount).toBe(1);
    expect(pool.acquire(1000).length).toBe(1250);
    expect(pool.acquired).toEqual({ allocated: 3, reused: 1, atOnce: 2 });
  });

  it('a release into a full free list takes the place of a smaller free item', () => {
    const pool = new ReusablePool<Uint8Array>((length) => new Uint8Array(length), 1);
    pool.release(pool.acquire(10));
    const large = pool.acquire(1000);
    pool.release(large);
    expect(pool.freeCount).toBe(1);
    // Kept rather than dropped: the next full page reuses it instead of making one more.
    expect(pool.acquire(1000)).toBe(large);
  });
});

/** Whether `value`, or anything reachable from it within `depth` own properties, is a view on `bytes`. */
function referencesBytesOf(value: unknown, bytes: ArrayBufferLike, depth: number): boolean {
  if (ArrayBuffer.isView(value)) return value.buffer === bytes;
  if (value === bytes) return true;
  if (value === null || typeof value !== 'object' || depth === 0) return false;
  return Object.values(value).some((inner) => referencesBytesOf(inner, bytes, depth - 1));
}
