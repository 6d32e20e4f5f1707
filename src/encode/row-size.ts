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

/** Heap bytes per decoded row: heap growth while holding copies of the sampled rows (a few hundred). */
export function decodedRowBytes(rows: ReadonlyArray<Record<string, unknown>>): number {
  if (rows.length === 0) return 0;
  const before = process.memoryUsage().heapUsed;
  const held = Array.from({ length: 20 }, () => rows.map((row) => ({ ...row })));
  const grown = process.memoryUsage().heapUsed - before;
  return Math.max(64, Math.round(grown / (held.length * rows.length)));
}
