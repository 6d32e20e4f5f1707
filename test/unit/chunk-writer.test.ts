import { describe, expect, it } from 'vitest';
import { ChunkWriter } from '../../src/encode/index.js';

describe('ChunkWriter.take', () => {
  it('hands a full buffer over without copying it, and later writes never change what was taken', () => {
    const writer = new ChunkWriter(16 * 1024);
    writer.raw(Buffer.alloc(12_000, 0x61));
    const taken = writer.take();
    expect(taken.length).toBe(12_000);
    // Handed over, not copied: the chunk is a view of the writer's own buffer.
    expect(taken.buffer.byteLength).toBe(16 * 1024);
    writer.raw(Buffer.alloc(15_000, 0x62));
    const next = writer.take();
    expect(taken.every((byte) => byte === 0x61)).toBe(true);
    expect(next.every((byte) => byte === 0x62)).toBe(true);
    expect(writer.length).toBe(0);
  });

  it('copies a mostly empty buffer out, so a small result holds no large buffer alive', () => {
    const writer = new ChunkWriter(64 * 1024);
    writer.ascii('one line\n');
    const line = writer.take();
    expect(line.toString()).toBe('one line\n');
    expect(line.buffer.byteLength).toBeLessThan(64 * 1024);
    writer.ascii('another\n');
    expect(line.toString()).toBe('one line\n');
    expect(writer.take().toString()).toBe('another\n');
  });

  it('starts again at its own size after a large row grew it', () => {
    // Sizes past 4 KiB: Node serves smaller buffers from a shared 8 KiB pool.
    const writer = new ChunkWriter(16 * 1024);
    writer.raw(Buffer.alloc(50_000, 0x63));
    expect(writer.take().length).toBe(50_000);
    writer.raw(Buffer.alloc(9000, 0x64));
    const taken = writer.take();
    expect(taken.length).toBe(9000);
    expect(taken.buffer.byteLength).toBe(16 * 1024);
  });
});
