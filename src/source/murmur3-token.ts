/**
 * Murmur3Partitioner's token of a partition key, computed here from the key's bytes as Cassandra does
 * (MurmurHash.hash3_x64_128's first half, seed 0), so a range scan need not ask Cassandra for `token(…)` on every
 * row: that selector cost Cassandra ~10 % of its CPU a row on `events` (`npm run bench -- source-cost`, 2026-12-07).
 * Cassandra's tail reads bytes as signed (`(long) key.get(i) << n`, sign-extended): kept, or a key with a byte ≥ 0x80
 * in its last 15 would hash elsewhere than Cassandra puts it.
 *
 * 64-bit words as two 32-bit halves (hi, lo), held as signed int32 so V8 keeps them small integers (as unsigned
 * values above 2^31 each store boxed a number: ~600 ns a token): with BigInt a token cost ~1 µs, which a table of one
 * row per partition pays on every row. Results come back through RH / RL, not a new object.
 */
let RH = 0;
let RL = 0;

/**
 * (aH:aL × bH:bL) mod 2^64 into RH:RL. The low halves' full product: its low word by Math.imul, its high word from
 * 16-bit pieces, each partial sum below 2^32 (so exact, and `>>> 16` of it too).
 */
function multiply(aH: number, aL: number, bH: number, bL: number): void {
  const a0 = aL & 0xffff;
  const a1 = aL >>> 16;
  const b0 = bL & 0xffff;
  const b1 = bL >>> 16;
  const t = ((a0 * b0) >>> 16) + a1 * b0;
  const u = (t & 0xffff) + a0 * b1;
  const high = a1 * b1 + (t >>> 16) + (u >>> 16);
  RL = Math.imul(aL, bL);
  RH = (high + Math.imul(aH, bL) + Math.imul(aL, bH)) | 0;
}

/** aH:aL + bH:bL into RH:RL. */
function add(aH: number, aL: number, bH: number, bL: number): void {
  const low = (aL >>> 0) + (bL >>> 0);
  RL = low | 0;
  RH = (aH + bH + (low > 0xffffffff ? 1 : 0)) | 0;
}

/** hi:lo rotated left by `by` (1–31) into RH:RL; callers swap the halves first for 32 more. */
function rotateLeft(hi: number, lo: number, by: number): void {
  RH = (hi << by) | (lo >>> (32 - by));
  RL = (lo << by) | (hi >>> (32 - by));
}

const C1H = 0x87c37b91 | 0;
const C1L = 0x114253d5;
const C2H = 0x4cf5ad43;
const C2L = 0x2745937f;

/** k1's mix: k × C1, rotated left 31, × C2. */
function mixK1(hi: number, lo: number): void {
  multiply(hi, lo, C1H, C1L);
  rotateLeft(RH, RL, 31);
  multiply(RH, RL, C2H, C2L);
}

/** k2's mix: k × C2, rotated left 33 (halves swapped, then 1), × C1. */
function mixK2(hi: number, lo: number): void {
  multiply(hi, lo, C2H, C2L);
  rotateLeft(RL, RH, 1);
  multiply(RH, RL, C1H, C1L);
}

/** fmix64: k ^= k >>> 33, × 0xff51afd7ed558ccd, again, × 0xc4ceb9fe1a85ec53, again. */
function finalMix(hi: number, lo: number): void {
  multiply(hi, lo ^ (hi >>> 1), 0xff51afd7 | 0, 0xed558ccd | 0);
  multiply(RH, RL ^ (RH >>> 1), 0xc4ceb9fe | 0, 0x1a85ec53);
  RL ^= RH >>> 1;
}

const uint32LE = (bytes: Uint8Array, at: number): number =>
  (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24);

/** Cassandra's tail word of `count` (1–8) bytes into RH:RL: each byte sign-extended to 64 bits, shifted, XORed in. */
function tailWord(bytes: Uint8Array, from: number, count: number): void {
  let hi = 0;
  let lo = 0;
  for (let index = 0; index < count; index++) {
    const byte = bytes[from + index] as number;
    // The byte as a signed 64-bit value: ≥ 0x80 is negative, every bit above it set.
    const wordLo = byte >= 0x80 ? 0xffffff00 | byte : byte;
    const wordHi = byte >= 0x80 ? -1 : 0;
    const shift = index * 8;
    if (shift === 0) {
      hi ^= wordHi;
      lo ^= wordLo;
    } else if (shift < 32) {
      hi ^= (wordHi << shift) | (wordLo >>> (32 - shift));
      lo ^= wordLo << shift;
    } else {
      hi ^= wordLo << (shift - 32);
    }
  }
  RH = hi;
  RL = lo;
}

const MIN_LONG = -(1n << 63n);
const MAX_LONG = (1n << 63n) - 1n;

/** The token of the serialized partition key `bytes[start, end)` (a composite key as compositeKey writes it). */
export function murmur3Token(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  const length = end - start;
  if (length <= 0) return MIN_LONG;
  let h1H = 0, h1L = 0, h2H = 0, h2L = 0;
  const blocks = length >> 4;
  for (let index = 0; index < blocks; index++) {
    const at = start + index * 16;
    mixK1(uint32LE(bytes, at + 4), uint32LE(bytes, at));
    rotateLeft(h1H ^ RH, h1L ^ RL, 27);
    add(RH, RL, h2H, h2L);
    multiply(RH, RL, 0, 5);
    add(RH, RL, 0, 0x52dce729);
    h1H = RH;
    h1L = RL;
    mixK2(uint32LE(bytes, at + 12), uint32LE(bytes, at + 8));
    rotateLeft(h2H ^ RH, h2L ^ RL, 31);
    add(RH, RL, h1H, h1L);
    multiply(RH, RL, 0, 5);
    add(RH, RL, 0, 0x38495ab5);
    h2H = RH;
    h2L = RL;
  }
  const tail = start + blocks * 16;
  const rest = length & 15;
  if (rest > 8) {
    tailWord(bytes, tail + 8, rest - 8);
    mixK2(RH, RL);
    h2H ^= RH;
    h2L ^= RL;
  }
  if (rest > 0) {
    tailWord(bytes, tail, Math.min(rest, 8));
    mixK1(RH, RL);
    h1H ^= RH;
    h1L ^= RL;
  }
  // The length is XORed in as a long: keys are far below 2^32 bytes, so only the low half changes.
  h1L ^= length;
  h2L ^= length;
  add(h1H, h1L, h2H, h2L);
  h1H = RH;
  h1L = RL;
  add(h2H, h2L, h1H, h1L);
  h2H = RH;
  h2L = RL;
  finalMix(h1H, h1L);
  h1H = RH;
  h1L = RL;
  finalMix(h2H, h2L);
  add(h1H, h1L, RH, RL);
  // hi as signed × 2^32 + lo: the two's-complement long, with no BigInt arithmetic but the one step.
  const token = (BigInt(RH) << 32n) + BigInt(RL >>> 0);
  // Murmur3Partitioner.normalize: Long.MIN_VALUE is the ring's minimum, never a key's token.
  return token === MIN_LONG ? MAX_LONG : token;
}

/** A composite partition key as Cassandra hashes it (CompositeType): each component's 2-byte length, bytes, and 0. */
export function compositeKey(parts: readonly Uint8Array[]): Buffer {
  const key = Buffer.alloc(parts.reduce((sum, part) => sum + part.length + 3, 0));
  let at = 0;
  for (const part of parts) {
    at = key.writeUInt16BE(part.length, at);
    key.set(part, at);
    at += part.length;
    key[at++] = 0;
  }
  return key;
}
