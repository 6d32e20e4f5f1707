/** One growable buffer per COPY chunk, grown by 1.5× like pg-protocol's writer; no per-value concatenation. */
export class ChunkWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(initialSize = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.offset;
  }

  private ensure(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length;
    while (size < needed) size = Math.ceil(size * 1.5);
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  byte(code: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = code;
  }

  /** Text known to be ASCII (numbers, uuids, dates): one byte per char. */
  ascii(text: string): void {
    this.ensure(text.length);
    this.offset += this.buffer.write(text, this.offset, 'latin1');
  }

  utf8(text: string): void {
    this.ensure(text.length * 3);
    this.offset += this.buffer.write(text, this.offset, 'utf8');
  }

  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buffer, this.offset);
    this.offset += bytes.length;
  }

  /**
   * A 53-bit hash (cyrb53) of bytes [start, end) written since the last take(): identifies a line by its key text
   * without keeping the bytes. Two keys of one token colliding is ~1 in 2^53 per pair.
   */
  hash(start: number, end: number): number {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    const buffer = this.buffer;
    for (let i = start; i < end; i++) {
      const byte = buffer[i] as number;
      h1 = Math.imul(h1 ^ byte, 2654435761);
      h2 = Math.imul(h2 ^ byte, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** Drops everything after `length`: a row that failed half-way leaves no bytes behind. */
  truncate(length: number): void {
    if (length < this.offset) this.offset = length;
  }

  /** The bytes written so far, copied out, and the writer reset for the next chunk. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.offset));
    this.offset = 0;
    return out;
  }
}
