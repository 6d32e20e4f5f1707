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

  it('writes on a reclaimed chunk\'s buffer again, and only on one reclaimed', () => {
    const writer = new ChunkWriter(16 * 1024);
    const chunk = (byte: number): Buffer => {
      writer.raw(Buffer.alloc(12_000, byte));
      return writer.take();
    };
    const first = chunk(0x61);
    const second = chunk(0x62);
    // Never reclaimed: its reader may still hold it, so the writer went on in another buffer.
    expect(second.buffer).not.toBe(first.buffer);
    writer.reclaim();
    // The writer was already on a third buffer; the reclaimed one (second's) takes the next rows.
    const third = chunk(0x63);
    const fourth = chunk(0x64);
    expect(fourth.buffer).toBe(second.buffer);
    expect([first, third].map((taken) => taken.buffer)).not.toContain(second.buffer);
    expect(first.every((byte) => byte === 0x61) && third.every((byte) => byte === 0x63) && fourth.every((byte) => byte === 0x64)).toBe(true);
    // A reclaim gives back only what was taken since the last one: fourth's buffer, not second's twice.
    writer.reclaim();
    writer.reclaim();
    chunk(0x65);
    const sixth = chunk(0x66);
    expect(sixth.buffer).toBe(fourth.buffer);
    expect(fourth.every((byte) => byte === 0x66)).toBe(true);
  });

  it('keeps no buffer a large row grew, when reclaimed', () => {
    const writer = new ChunkWriter(16 * 1024);
    writer.raw(Buffer.alloc(50_000, 0x63));
    writer.take();
    writer.reclaim();
    writer.raw(Buffer.alloc(9000, 0x64));
    expect(writer.take().buffer.byteLength).toBe(16 * 1024);
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

describe('ChunkWriter.hash', () => {
  const hashOf = (bytes: Buffer, at = 0): number => {
    const writer = new ChunkWriter(64);
    writer.raw(Buffer.alloc(at, 0x20));
    writer.raw(bytes);
    return writer.hash(at, at + bytes.length);
  };

  it('gives the same bytes the same hash at any offset, and after the writer grew or was reset', () => {
    const key = Buffer.from('00000004000000070000000800000191a1b2c3d4', 'hex');
    const expected = hashOf(key);
    for (let at = 0; at < 9; at++) expect(hashOf(key, at)).toBe(expected);
    expect(hashOf(key, 200)).toBe(expected);
    const writer = new ChunkWriter(64);
    writer.raw(Buffer.alloc(40));
    writer.take();
    writer.raw(key);
    expect(writer.hash(0, key.length)).toBe(expected);
  });

  it('tells apart keys that differ in one bit anywhere (words and tail alike), in length only, or by a word\'s order', () => {
    const key = Buffer.from(Array.from({ length: 23 }, (_, i) => (i * 37 + 11) & 0xff));
    const seen = new Set([hashOf(key)]);
    for (let byte = 0; byte < key.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = Buffer.from(key);
        changed[byte] = (changed[byte] as number) ^ (1 << bit);
        seen.add(hashOf(changed));
      }
    }
    expect(seen.size).toBe(1 + key.length * 8);
    expect(hashOf(Buffer.alloc(8))).not.toBe(hashOf(Buffer.alloc(9)));
    expect(hashOf(Buffer.from('aaaabbbb'))).not.toBe(hashOf(Buffer.from('bbbbaaaa')));
  });

  it('gives 100,000 distinct keys of one shape 100,000 distinct hashes', () => {
    const hashes = new Set<number>();
    const key = Buffer.alloc(48);
    for (let n = 0; n < 100_000; n++) {
      key.writeInt32BE(n % 1000, 4);
      key.writeInt32BE(Math.floor(n / 1000), 12);
      key.writeBigInt64BE(BigInt(1_700_000_000_000 + n * 1000), 20);
      hashes.add(hashOf(key));
    }
    expect(hashes.size).toBe(100_000);
  });
});
