import type { SourceTable } from '../schema/index.js';
import { ChunkWriter } from './chunk-writer.js';
import { createRowEncoder } from './row-encoder.js';

/** Average COPY bytes of sampled rows (`SELECT *` records): the planner's and the split estimate's row size. */
export function averageEncodedRowBytes(table: SourceTable, rows: ReadonlyArray<Record<string, unknown>>): number {
  if (rows.length === 0) return 0;
  const encoder = createRowEncoder(table);
  const writer = new ChunkWriter(64 * 1024);
  let encoded = 0;
  for (const row of rows) {
    const start = writer.length;
    try {
      encoder.encode([0n, ...table.columns.map((column) => row[column.name])], writer);
      encoded++;
    } catch {
      // A bad value is the run's business, not the estimate's.
      writer.truncate(start);
    }
  }
  return encoded === 0 ? 0 : Math.round(writer.length / encoded);
}

/** V8 sizes, 64-bit with pointer compression off (Node's default): header + slots. */
const OBJECT_HEADER = 24;
const SLOT = 8;
const BUFFER_OVERHEAD = 96;

/**
 * Heap bytes one decoded value holds, by walking it: strings, Buffers (with their backing store), driver objects
 * (Long, Uuid, BigDecimal, LocalDate, InetAddress, Tuple…), arrays, Maps and Sets. Deterministic, unlike heap
 * growth, which the garbage collector blurs; shared objects are counted once.
 */
export function heapBytesOf(value: unknown, seen: WeakSet<object> = new WeakSet()): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 0;
  if (typeof value === 'number') return 16;
  if (typeof value === 'bigint') return 16 + SLOT * Math.ceil(value.toString(16).length / 16);
  if (typeof value === 'string') return 16 + (/^[\x00-\xff]*$/.test(value) ? value.length : 2 * value.length);
  if (typeof value !== 'object') return SLOT;
  if (seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return BUFFER_OVERHEAD + value.byteLength;
  if (value instanceof Date) return OBJECT_HEADER + 16;
  let bytes = OBJECT_HEADER;
  if (Array.isArray(value)) {
    for (const item of value) bytes += SLOT + heapBytesOf(item, seen);
    return bytes;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) bytes += 3 * SLOT + heapBytesOf(k, seen) + heapBytesOf(v, seen);
    return bytes;
  }
  if (value instanceof Set) {
    for (const item of value) bytes += 2 * SLOT + heapBytesOf(item, seen);
    return bytes;
  }
  for (const key of Object.keys(value)) bytes += SLOT + heapBytesOf((value as Record<string, unknown>)[key], seen);
  return bytes;
}

/** Average heap bytes of a decoded driver row over the sampled rows: the planner's page term. */
export function decodedRowBytes(rows: ReadonlyArray<Record<string, unknown>>): number {
  if (rows.length === 0) return 0;
  let total = 0;
  for (const row of rows) total += heapBytesOf(row);
  return Math.round(total / rows.length);
}
