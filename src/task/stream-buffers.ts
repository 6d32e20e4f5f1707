import { ChunkWriter } from '../encode/index.js';
import { LineKeys } from './row-checks.js';

/** Bytes gathered before a write to the COPY stream: large enough to amortise the syscall, small against memory. */
export const CHUNK_BYTES = 256 * 1024;

/** What a split stream writes through: its COPY chunk writer and the identities of its open transaction's lines. */
export interface StreamBuffers {
  readonly writer: ChunkWriter;
  readonly lines: LineKeys;
}

/**
 * A split stream's buffers, handed on to the executor's next split instead of being made anew for each. Made per
 * split, a task's chunk writer (320 KiB and its spare) and line identities (16 bytes a row of a transaction, grown by
 * doubling) were ~2 MiB left to the collector at every split's end; V8 had promoted them to its old space, which it
 * rarely collects, so each round of splits raised an executor's RSS (10M-row memory bench: +7 to +10 MiB of
 * ArrayBuffers at the second round, 2026-12-05). The free list never holds more than the streams once open at a time.
 */
export class StreamBufferPool {
  private readonly free: StreamBuffers[] = [];
  private made = 0;

  /** Buffers for a new split stream: emptied ones from an ended stream where there are any. */
  take(): StreamBuffers {
    const kept = this.free.pop();
    if (!kept) {
      this.made++;
      // Room past CHUNK_BYTES for the row that crosses it: the chunk is handed to the COPY stream as it is, never grown
      // (a copy of every byte) on its last row.
      return { writer: new ChunkWriter(CHUNK_BYTES + CHUNK_BYTES / 4), lines: new LineKeys() };
    }
    kept.writer.truncate(0);
    kept.lines.clear();
    return kept;
  }

  /**
   * The stream is over, whether it committed or failed: nothing of it is read again. A chunk it handed to a COPY that
   * failed is never written on: the writer only writes again in a chunk the COPY stream flushed (ChunkWriter.reclaim).
   */
  give(buffers: StreamBuffers): void {
    this.free.push(buffers);
  }

  /** Buffers made so far: as many as the streams once open at the same time, not one per split. */
  get madeCount(): number {
    return this.made;
  }
}

/** The process's pool: every split stream of an executor takes its buffers here. */
export const streamBuffers = new StreamBufferPool();
