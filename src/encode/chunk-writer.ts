import { isAscii, isUtf8 } from 'node:buffer';
import { INVALID_UTF8, NON_ASCII, NUL_FOUND, copyCheckedUtf8, copyWords, utf8SequenceLength, viewOf, type ViewedBytes } from './utf8-words.js';

export { INVALID_UTF8, NON_ASCII, NUL_FOUND, utf8SequenceLength };
const MINUS = 0x2d;
const ZERO = 0x30;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** The letter after the backslash of JSON's short escapes (`"`, `\\`, \b \t \n \f \r); 0 for \u00xx. */
const JSON_SHORT_ESCAPE = new Uint8Array(BACKSLASH + 1);
JSON_SHORT_ESCAPE[QUOTE] = QUOTE;
JSON_SHORT_ESCAPE[BACKSLASH] = BACKSLASH;
JSON_SHORT_ESCAPE[0x08] = 0x62;
JSON_SHORT_ESCAPE[0x09] = 0x74;
JSON_SHORT_ESCAPE[0x0a] = 0x6e;
JSON_SHORT_ESCAPE[0x0c] = 0x66;
JSON_SHORT_ESCAPE[0x0d] = 0x72;
/** Cells this long or longer are checked by native code (see checkedUtf8Native). */
const NATIVE_CHECK_BYTES = 256;
/** From this length a text cell is checked and copied in one pass, plain ASCII a word at a time (utf8-words.ts). */
const WORD_COPY_BYTES = 8;
const NUL_SPECIAL = 0xff;
/** For bytes up to `\\`: 0 for plain, else what follows the escaping backslash (`"` only inside array elements). */
const TEXT_SPECIAL = new Uint8Array(BACKSLASH + 1);
TEXT_SPECIAL[0] = NUL_SPECIAL;
TEXT_SPECIAL[0x09] = 0x74; // \t
TEXT_SPECIAL[0x0a] = 0x6e; // \n
TEXT_SPECIAL[0x0d] = 0x72; // \r
TEXT_SPECIAL[QUOTE] = QUOTE;
TEXT_SPECIAL[BACKSLASH] = BACKSLASH;

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;
/** Per byte: copied as is, copied but not ASCII (the caller checks UTF-8), or special (escaped, or U+0000). */
const PLAIN = 0;
const HIGH = 1;
const SPECIAL = 2;
const BYTE_KIND = new Uint8Array(256).map((_, byte) => (byte >= 0x80 ? HIGH : byte === 0 || (byte <= BACKSLASH && TEXT_SPECIAL[byte] !== 0) ? SPECIAL : PLAIN));

/** Decimal digits of 0 <= v < 2^31, by comparisons rather than a loop of divisions. */
function digitsOf(v: number): number {
  if (v < 10000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : 4;
  if (v < 100000000) return v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : 8;
  return v < 1000000000 ? 9 : 10;
}

/** The index of the first byte in [start, end) that is 0 or not ASCII (end if none), four bytes a step. */
function plainAsciiEnd(source: Buffer, start: number, end: number): number {
  let i = start;
  const last = end - 3;
  while (i < last) {
    const a = source[i] as number;
    const b = source[i + 1] as number;
    const c = source[i + 2] as number;
    const d = source[i + 3] as number;
    if (((a | b | c | d) & 0x80) !== 0 || a === 0 || b === 0 || c === 0 || d === 0) break;
    i += 4;
  }
  while (i < end) {
    const byte = source[i] as number;
    if (byte === 0 || byte >= 0x80) break;
    i++;
  }
  return i;
}

/**
 * What checkedUtf8 reports for source[start, end), reading only (the cell is then copied at once): 0 for ASCII without
 * U+0000, NON_ASCII for valid UTF-8 with a high byte, else the first problem from the start (NUL_FOUND, INVALID_UTF8).
 * ASCII runs go four bytes a step and each multi-byte sequence is stepped over whole: ~1 ns a byte on text with a few
 * non-ASCII letters, where a loop that also wrote each byte cost ~6.
 */
function utf8Status(source: Buffer, start: number, end: number): number {
  let status = 0;
  let i = plainAsciiEnd(source, start, end);
  while (i < end) {
    if (source[i] === 0) return NUL_FOUND;
    const size = utf8SequenceLength(source, i, end);
    if (size === 0) return INVALID_UTF8;
    status = NON_ASCII;
    i = plainAsciiEnd(source, i + size, end);
  }
  return status;
}

/** The index of the first byte in [start, end) that COPY text must escape or check (BYTE_KIND not PLAIN), or end. */
function plainTextEnd(source: Buffer, start: number, end: number): number {
  let i = start;
  const last = end - 3;
  while (i < last) {
    if (((BYTE_KIND[source[i] as number] as number) | (BYTE_KIND[source[i + 1] as number] as number) | (BYTE_KIND[source[i + 2] as number] as number) | (BYTE_KIND[source[i + 3] as number] as number)) !== PLAIN) break;
    i += 4;
  }
  while (i < end && BYTE_KIND[source[i] as number] === PLAIN) i++;
  return i;
}

/** One growable buffer per COPY chunk, grown by 1.5× like pg-protocol's writer; no per-value concatenation. */
export class ChunkWriter {
  private buffer: Buffer;
  /** `buffer` with a view of it, for word-wide writes; set with it (use()). */
  private target: ViewedBytes;
  private offset = 0;
  /** The last source a text cell came from (a page: one per many cells) with its view. */
  private source: ViewedBytes | undefined;
  /** The buffer of the last chunk take() handed over as it was, until reclaim() says its reader is done with it. */
  private lent: Buffer | undefined;
  /** A reclaimed buffer, for the next take() to write on instead of a new one. */
  private spare: Buffer | undefined;

  constructor(private readonly initialSize = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
    this.target = { bytes: this.buffer, view: viewOf(this.buffer) };
  }

  /** Writes go on in `buffer` from now on. */
  private use(buffer: Buffer): void {
    this.buffer = buffer;
    this.target = { bytes: buffer, view: viewOf(buffer) };
  }

  private viewed(source: Buffer): ViewedBytes {
    if (this.source?.bytes !== source) this.source = { bytes: source, view: viewOf(source) };
    return this.source;
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
    this.use(grown);
  }

  byte(code: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = code;
  }

  /** Text known to be ASCII (numbers, uuids, dates): one byte per char. */
  ascii(text: string): void {
    const length = text.length;
    this.ensure(length);
    // Short texts (numbers, dates) by hand: Buffer.write's native call costs more than the copy below ~32 chars.
    if (length < 32) {
      const buffer = this.buffer;
      let at = this.offset;
      for (let i = 0; i < length; i++) buffer[at++] = text.charCodeAt(i);
      this.offset = at;
      return;
    }
    this.offset += this.buffer.write(text, this.offset, 'latin1');
  }

  utf8(text: string): void {
    this.ensure(text.length * 3);
    this.offset += this.buffer.write(text, this.offset, 'utf8');
  }

  /** An integer (|n| < 2^53) as decimal digits, without building a string. */
  int(n: number): void {
    this.ensure(17);
    if (n < 0) {
      this.buffer[this.offset++] = MINUS;
      n = -n;
    }
    if (n < 2147483648) {
      this.uint32(n | 0, digitsOf(n | 0));
      return;
    }
    // Two int32 halves (n < 2^53, so the high part < 2^31): int32 arithmetic, where double division by 10 per digit
    // cost ~100 ns for a 13-digit bigint.
    const high = Math.floor(n / 1e8);
    const low = (n - high * 1e8) | 0;
    this.uint32(high | 0, digitsOf(high | 0));
    this.uint32(low, 8);
  }

  /** 0 <= v < 2^31 as exactly `digits` digits (zero-padded on the left where v has fewer). */
  private uint32(v: number, digits: number): void {
    const buffer = this.buffer;
    let at = this.offset + digits;
    this.offset = at;
    for (let left = digits; left > 0; left--) {
      const next = (v / 10) | 0;
      buffer[--at] = ZERO + v - next * 10;
      v = next;
    }
  }

  /** 16 bytes as a uuid's 8-4-4-4-12 lower-case hex. */
  uuid(source: Buffer, start: number): void {
    this.ensure(36);
    const buffer = this.buffer;
    let at = this.offset;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) buffer[at++] = DASH;
      const byte = source[start + i] as number;
      buffer[at++] = HEX[byte >>> 4] as number;
      buffer[at++] = HEX[byte & 15] as number;
    }
    this.offset = at;
  }

  /** `HH:MM:SS.mmm+00` for 0 <= ms < 86,400,000, in one pass. */
  timeOfDay(ms: number): void {
    this.ensure(15);
    const buffer = this.buffer;
    const at = this.offset;
    const hours = (ms / 3_600_000) | 0;
    const minutes = ((ms / 60_000) | 0) % 60;
    const seconds = ((ms / 1000) | 0) % 60;
    const millis = ms % 1000;
    buffer[at] = ZERO + ((hours / 10) | 0);
    buffer[at + 1] = ZERO + (hours % 10);
    buffer[at + 2] = COLON;
    buffer[at + 3] = ZERO + ((minutes / 10) | 0);
    buffer[at + 4] = ZERO + (minutes % 10);
    buffer[at + 5] = COLON;
    buffer[at + 6] = ZERO + ((seconds / 10) | 0);
    buffer[at + 7] = ZERO + (seconds % 10);
    buffer[at + 8] = DOT;
    buffer[at + 9] = ZERO + ((millis / 100) | 0);
    buffer[at + 10] = ZERO + (((millis / 10) | 0) % 10);
    buffer[at + 11] = ZERO + (millis % 10);
    buffer[at + 12] = PLUS;
    buffer[at + 13] = ZERO;
    buffer[at + 14] = ZERO;
    this.offset = at + 15;
  }

  /** Short byte strings (a cached date, a suffix): a loop beats Buffer.copy's call cost below ~32 bytes. */
  bytes(source: Uint8Array): void {
    const length = source.length;
    this.ensure(length);
    const buffer = this.buffer;
    let at = this.offset;
    for (let i = 0; i < length; i++) buffer[at++] = source[i] as number;
    this.offset = at;
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
   * `\\`). Returns NUL_FOUND at a 0 byte and INVALID_UTF8 at a byte sequence that is not UTF-8 (the caller
   * rewinds either), NON_ASCII when valid multi-byte sequences were copied, else 0.
   */
  escapedText(source: Buffer, start: number, end: number, inArray: boolean): number {
    // As checkedUtf8: the leading run that needs no escaping is found by reading and copied at once.
    const plain = plainTextEnd(source, start, end);
    this.copy(source, start, plain);
    if (plain === end) return 0;
    start = plain;
    this.ensure((end - start) * 4);
    const buffer = this.buffer;
    let at = this.offset;
    let status = 0;
    for (let i = start; i < end; i++) {
      const byte = source[i] as number;
      const kind = BYTE_KIND[byte] as number;
      if (kind === PLAIN) {
        buffer[at++] = byte;
        continue;
      }
      if (kind === HIGH) {
        // Checked here, sequence by sequence, rather than by isUtf8 on a subarray afterwards: that cost an object
        // and a native call per non-ASCII cell.
        const size = utf8SequenceLength(source, i, end);
        if (size === 0) return INVALID_UTF8;
        for (let k = 0; k < size; k++) buffer[at++] = source[i + k] as number;
        i += size - 1;
        status = NON_ASCII;
        continue;
      }
      if (byte === 0) return NUL_FOUND;
      if (byte === QUOTE && !inArray) {
        buffer[at++] = byte;
        continue;
      }
      buffer[at++] = BACKSLASH;
      if (inArray && byte === BACKSLASH) {
        buffer[at++] = BACKSLASH;
        buffer[at++] = BACKSLASH;
      } else if (inArray && byte === QUOTE) buffer[at++] = BACKSLASH;
      buffer[at++] = TEXT_SPECIAL[byte] as number;
    }
    this.offset = at;
    return status;
  }

  /** COPY binary's big-endian integers and floats. */
  int16(v: number): void {
    // By hand, as int32: Buffer's writeInt16BE range-checks every call (~5 ns, a numeric writes one per 4 digits).
    this.ensure(2);
    const at = this.offset;
    this.buffer[at] = v >>> 8;
    this.buffer[at + 1] = v;
    this.offset = at + 2;
  }

  int32(v: number): void {
    this.ensure(4);
    const buffer = this.buffer;
    const at = this.offset;
    buffer[at] = v >>> 24;
    buffer[at + 1] = v >>> 16;
    buffer[at + 2] = v >>> 8;
    buffer[at + 3] = v;
    this.offset = at + 4;
  }

  /** Rewrites 4 bytes already written (a length known only after its field). */
  patchInt32(at: number, v: number): void {
    this.buffer.writeInt32BE(v, at);
  }

  float32(v: number): void {
    this.ensure(4);
    this.buffer.writeFloatBE(v, this.offset);
    this.offset += 4;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buffer.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  /**
   * Page bytes (one source for many calls, as a page's cells are) as they are: a word at a time below
   * NATIVE_CHECK_BYTES, where Buffer.copy's native call costs more. Other sources take copy(), which keeps no view.
   */
  copyPageBytes(page: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length < WORD_COPY_BYTES || length >= NATIVE_CHECK_BYTES) {
      this.copy(page, start, end);
      return;
    }
    this.ensure(length);
    this.offset = copyWords(this.viewed(page), start, end, this.target, this.offset);
  }

  /** source[start, end) as is. Buffer.copy costs a native call (~0.2 µs): short runs are copied by hand. */
  copy(source: Buffer, start: number, end: number): void {
    const length = end - start;
    this.ensure(length);
    if (length < 64) {
      const buffer = this.buffer;
      let at = this.offset;
      for (let i = start; i < end; i++) buffer[at++] = source[i] as number;
      this.offset = at;
      return;
    }
    source.copy(this.buffer, this.offset, start, end);
    this.offset += length;
  }

  /**
   * Copies UTF-8 bytes unescaped (COPY binary), checking them as escapedText does: NUL_FOUND at a 0 byte,
   * INVALID_UTF8 at a sequence that is not UTF-8 (the caller rewinds either), NON_ASCII past a high byte, else 0.
   */
  checkedUtf8(source: Buffer, start: number, end: number): number {
    const length = end - start;
    if (length >= NATIVE_CHECK_BYTES) return this.checkedUtf8Native(source, start, end);
    if (length < WORD_COPY_BYTES) {
      const status = utf8Status(source, start, end);
      if (status === 0 || status === NON_ASCII) this.copy(source, start, end);
      return status;
    }
    this.ensure(length);
    // Checked and copied in one pass; the bytes count only once the whole cell passed (a refused one is rewound).
    const status = copyCheckedUtf8(this.viewed(source), start, end, this.target, this.offset);
    if (status === 0 || status === NON_ASCII) this.offset += length;
    return status;
  }

  /**
   * checkedUtf8 for a long cell: memchr for U+0000 and simdutf's checks (Node's isAscii/isUtf8), ~20× the JS loop's
   * bytes per ns, worth their native calls (~0.1 µs) only past NATIVE_CHECK_BYTES. Same statuses as the loop, also
   * which one wins when both are there: the first problem from the start (an invalid sequence cut by a NUL is invalid).
   */
  private checkedUtf8Native(source: Buffer, start: number, end: number): number {
    const cell = source.subarray(start, end);
    const nul = cell.indexOf(0);
    if (nul >= 0) return isUtf8(cell.subarray(0, nul)) ? NUL_FOUND : INVALID_UTF8;
    const status = isAscii(cell) ? 0 : isUtf8(cell) ? NON_ASCII : INVALID_UTF8;
    if (status !== INVALID_UTF8) this.copy(source, start, end);
    return status;
  }

  raw(bytes: Buffer): void {
    this.copy(bytes, 0, bytes.length);
  }

  /**
   * UTF-8 bytes as the inside of a JSON string, escaped as JSON.stringify escapes (`"`, `\\`, and control characters as
   * \b \t \n \f \r or \u00xx); each backslash written `backslashes` times (2 inside COPY text, which doubles them).
   * Returns NUL_FOUND and INVALID_UTF8 as checkedUtf8 does (the caller rewinds), NON_ASCII past a high byte, else 0.
   */
  jsonString(source: Buffer, start: number, end: number, backslashes: 1 | 2): number {
    this.ensure((end - start) * 12);
    const buffer = this.buffer;
    let at = this.offset;
    let status = 0;
    for (let i = start; i < end; i++) {
      const byte = source[i] as number;
      if (byte >= 0x80) {
        const size = utf8SequenceLength(source, i, end);
        if (size === 0) return INVALID_UTF8;
        for (let k = 0; k < size; k++) buffer[at++] = source[i + k] as number;
        i += size - 1;
        status = NON_ASCII;
        continue;
      }
      if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH) {
        buffer[at++] = byte;
        continue;
      }
      if (byte === 0) return NUL_FOUND;
      buffer[at++] = BACKSLASH;
      if (backslashes === 2) buffer[at++] = BACKSLASH;
      const short = JSON_SHORT_ESCAPE[byte] as number;
      if (short !== 0) {
        buffer[at++] = short;
        // JSON's `\\` is two backslashes, each doubled again inside COPY text.
        if (short === BACKSLASH && backslashes === 2) buffer[at++] = BACKSLASH;
        continue;
      }
      buffer[at++] = 0x75;
      buffer[at++] = ZERO;
      buffer[at++] = ZERO;
      buffer[at++] = HEX[byte >>> 4] as number;
      buffer[at++] = HEX[byte & 15] as number;
    }
    this.offset = at;
    return status;
  }

  /** The byte at `offset` written since the last take(). */
  byteAt(offset: number): number {
    return this.buffer[offset] as number;
  }

  /** Copies the bytes from `start` to the end of what was written since the last take() into `target` at 0. */
  copyInto(target: Buffer, start: number): void {
    const buffer = this.buffer;
    // By hand: Buffer.copy of part of a buffer allocates a view of it first (a map cell's few dozen bytes).
    for (let i = start, at = 0; i < this.offset; i++, at++) target[at] = buffer[i] as number;
  }


  /**
   * A 53-bit hash of bytes [start, end) written since the last take(): identifies a line by its key text without
   * keeping the bytes. cyrb53's two lanes and finish, fed a 32-bit word a step (each lane rotated, so a word's high
   * bits reach the low ones before the next word) and the length; byte by byte it cost ~3 % of an executor's CPU on
   * `events` (a ~48-byte binary key a row). Two keys of one token colliding is ~1 in 2^53 per pair.
   */
  hash(start: number, end: number): number {
    let h1 = 0xdeadbeef ^ (end - start);
    let h2 = 0x41c6ce57;
    const { view, bytes } = this.target;
    let i = start;
    for (const lastWord = end - 4; i <= lastWord; i += 4) {
      const word = view.getUint32(i, true);
      h1 = Math.imul(h1 ^ word, 2654435761);
      h1 = (h1 << 15) | (h1 >>> 17);
      h2 = Math.imul(h2 ^ word, 1597334677);
      h2 = (h2 << 13) | (h2 >>> 19);
    }
    for (; i < end; i++) {
      const byte = bytes[i] as number;
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

  /**
   * The bytes written so far, and the writer reset for the next chunk. A buffer at least half full is handed over as
   * it is and the writer goes on in the reclaimed one, else a fresh one (not zero-filled): copying a 256 KiB COPY chunk
   * out, as Buffer.from did, zero-filled and copied every byte once more. A mostly empty one (a single CDC line, a
   * digest's row) is copied out, so a small result never holds a large buffer alive.
   */
  take(): Buffer {
    const length = this.offset;
    this.offset = 0;
    if (length * 2 < this.buffer.length) return Buffer.from(this.buffer.subarray(0, length));
    const full = this.buffer.subarray(0, length);
    // An earlier chunk never reclaimed is left to the garbage collector: its reader may still hold it.
    this.lent = this.buffer;
    this.use(this.spare ?? Buffer.allocUnsafe(this.initialSize));
    this.spare = undefined;
    return full;
  }

  /**
   * The reader of every chunk take() handed over is done with it (a COPY stream flushed to the kernel): the last one's
   * buffer is written on again. Without it each 256 KiB chunk was a new buffer for the garbage collector, and V8's
   * collections for external memory pressure cost ~1.5 µs a types_zoo row (scratch --trace-gc of a 100K-row run).
   */
  reclaim(): void {
    // One grown by a large row is not kept: the writer starts again at its own size, as without reclaim.
    if (this.lent?.length === this.initialSize) this.spare = this.lent;
    this.lent = undefined;
  }
}
