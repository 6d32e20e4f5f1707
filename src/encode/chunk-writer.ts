const MINUS = 0x2d;
const ZERO = 0x30;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
export const NUL_FOUND = 1;
export const NON_ASCII = 2;
const NUL_SPECIAL = 0xff;
/** For bytes up to `\\`: 0 for plain, else what follows the escaping backslash (`"` only inside array elements). */
const TEXT_SPECIAL = new Uint8Array(BACKSLASH + 1);
TEXT_SPECIAL[0] = NUL_SPECIAL;
TEXT_SPECIAL[0x09] = 0x74; // \t
TEXT_SPECIAL[0x0a] = 0x6e; // \n
TEXT_SPECIAL[0x0d] = 0x72; // \r
TEXT_SPECIAL[QUOTE] = QUOTE;
TEXT_SPECIAL[BACKSLASH] = BACKSLASH;

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

  /** An integer (|n| < 2^53) as decimal digits, without building a string. */
  int(n: number): void {
    this.ensure(17);
    const buffer = this.buffer;
    if (n < 0) {
      buffer[this.offset++] = MINUS;
      n = -n;
    }
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.offset + digits;
    this.offset = at;
    do {
      const next = Math.floor(n / 10);
      buffer[--at] = ZERO + (n - next * 10);
      n = next;
    } while (n > 0);
  }

  /** 0 <= n < 10^width, zero-padded to exactly `width` digits. */
  padded(n: number, width: number): void {
    this.ensure(width);
    const buffer = this.buffer;
    for (let at = this.offset + width - 1; at >= this.offset; at--) {
      const next = Math.floor(n / 10);
      buffer[at] = ZERO + (n - next * 10);
      n = next;
    }
    this.offset += width;
  }

  /** Lower-case hex of source[start, end). */
  hex(source: Buffer, start: number, end: number): void {
    this.ensure((end - start) * 2);
    const buffer = this.buffer;
    let at = this.offset;
    for (let i = start; i < end; i++) {
      const byte = source[i] as number;
      buffer[at++] = HEX[byte >>> 4] as number;
      buffer[at++] = HEX[byte & 15] as number;
    }
    this.offset = at;
  }

  /**
   * Copies UTF-8 bytes with COPY text escaping (and, inside an array element, the element's own escaping of `"` and
   * `\\`). Returns NUL_FOUND at a 0 byte (the caller rewinds), NON_ASCII when a byte >= 0x80 was copied (the
   * caller checks the UTF-8), else 0.
   */
  escapedText(source: Buffer, start: number, end: number, inArray: boolean): number {
    this.ensure((end - start) * 4);
    const buffer = this.buffer;
    let at = this.offset;
    let status = 0;
    for (let i = start; i < end; i++) {
      const byte = source[i] as number;
      if (byte >= 0x80) status = NON_ASCII;
      else if (byte <= BACKSLASH && TEXT_SPECIAL[byte] !== 0) {
        const special = TEXT_SPECIAL[byte] as number;
        if (special === NUL_SPECIAL) return NUL_FOUND;
        if (special === QUOTE && !inArray) {
          buffer[at++] = byte;
          continue;
        }
        buffer[at++] = BACKSLASH;
        if (inArray && byte === BACKSLASH) {
          buffer[at++] = BACKSLASH;
          buffer[at++] = BACKSLASH;
        } else if (inArray && byte === QUOTE) buffer[at++] = BACKSLASH;
        buffer[at++] = special;
        continue;
      }
      buffer[at++] = byte;
    }
    this.offset = at;
    return status;
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
