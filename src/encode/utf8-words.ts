/**
 * Word-wide copies out of a page: four bytes a step with one 32-bit load and one store (DataView's little-endian reads
 * and writes are inlined by V8), and text cells checked for COPY as they are copied. Checking a 150-byte `events`
 * payload byte by byte and then copying it (Buffer.copy, a native call of ~0.1–0.2 µs) cost ~255 ns, checking and
 * copying it a word at a time ~85; a 16–24-byte cell copied by bytes ~60 ns, by words ~32 (scratch micro-benchmarks,
 * 2026-12-06, AMD EPYC).
 */

import { isUtf8 } from 'node:buffer';

const HIGH_BITS = 0x80808080;
const ONES = 0x01010101;
export const NUL_FOUND = 1;
export const NON_ASCII = 2;
export const INVALID_UTF8 = 3;

const CONTINUATION_LOW = 0x80;
const CONTINUATION_HIGH = 0xbf;

function isContinuation(byte: number): boolean {
  return byte >= CONTINUATION_LOW && byte <= CONTINUATION_HIGH;
}

/**
 * The length of the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at source[i], or 0 where it is not one
 * (Unicode's table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF), as `isUtf8` judges it.
 */
export function utf8SequenceLength(source: Uint8Array, i: number, end: number): number {
  const lead = source[i] as number;
  if (lead < 0xc2 || lead > 0xf4) return 0;
  const size = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  if (i + size > end) return 0;
  const second = source[i + 1] as number;
  // The second byte's range is narrower after E0 (overlong), ED (surrogates), F0 (overlong) and F4 (past U+10FFFF).
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : CONTINUATION_LOW;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : CONTINUATION_HIGH;
  if (second < low || second > high) return 0;
  if (size > 2 && !isContinuation(source[i + 2] as number)) return 0;
  if (size > 3 && !isContinuation(source[i + 3] as number)) return 0;
  return size;
}

/** A DataView over a Buffer's own bytes (a pooled Buffer shares its ArrayBuffer with others). */
export function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** One side of the copy: the bytes, and a view of the same bytes for word-wide reads or writes. */
export interface ViewedBytes {
  readonly bytes: Buffer;
  readonly view: DataView;
}

/** Copies source[start, end) to target at `at` (which must have room for it); returns the target's end. */
export function copyWords(source: ViewedBytes, start: number, end: number, target: ViewedBytes, at: number): number {
  const { view: fromView, bytes: from } = source;
  const { view: toView, bytes: to } = target;
  let i = start;
  let out = at;
  for (const lastWord = end - 4; i <= lastWord; i += 4, out += 4) toView.setUint32(out, fromView.getUint32(i, true), true);
  for (; i < end; i++) to[out++] = from[i] as number;
  return out;
}

/**
 * Copies source[start, end) to target at `at` (which must have room for end - start bytes) while checking it as
 * COPY needs: 0 for ASCII without U+0000, NON_ASCII for valid UTF-8 with a high byte, else the first problem from
 * the start (NUL_FOUND, INVALID_UTF8), after which the target's bytes are left half-written for the caller to drop.
 */
export function copyCheckedUtf8(source: ViewedBytes, start: number, end: number, target: ViewedBytes, at: number): number {
  const { bytes: from, view: fromView } = source;
  const { bytes: to, view: toView } = target;
  const lastWord = end - 4;
  let status = 0;
  let i = start;
  let out = at;
  for (;;) {
    while (i <= lastWord) {
      const word = fromView.getUint32(i, true);
      // A high bit in any byte, or a zero byte: (w - 0x01010101) & ~w sets a byte's high bit where the byte was 0
      // (exact when no byte has its high bit set, and any high byte stops the loop anyway).
      if (((word | ((word - ONES) & ~word)) & HIGH_BITS) !== 0) break;
      toView.setUint32(out, word, true);
      i += 4;
      out += 4;
    }
    if (i >= end) return status;
    const byte = from[i] as number;
    if (byte === 0) return NUL_FOUND;
    if (byte < 0x80) {
      to[out++] = byte;
      i++;
      continue;
    }
    // Past the first high byte, a long rest is checked natively: byte by byte, text with a few multi-byte words
    // (the events payload) cost ~2× its ASCII twin; Node's isUtf8 (simdutf) and a native copy do not care.
    if (end - i >= NATIVE_REST_BYTES) return copyCheckedRest(from, i, end, to, out);
    const size = utf8SequenceLength(from, i, end);
    if (size === 0) return INVALID_UTF8;
    for (let k = 0; k < size; k++) to[out++] = from[i + k] as number;
    i += size;
    status = NON_ASCII;
  }
}

/**
 * From here on, natively: a view and three calls (a NUL search, isUtf8, a copy) cost about what ~40 bytes do by
 * hand, so a shorter rest (a short word's last accented letter) stays in the loop.
 */
const NATIVE_REST_BYTES = 48;

/** source[i, end) from its first high byte on: checked and copied as copyCheckedUtf8 does, with the same order of problems. */
function copyCheckedRest(from: Buffer, i: number, end: number, to: Buffer, out: number): number {
  const rest = new Uint8Array(from.buffer, from.byteOffset + i, end - i);
  const nul = rest.indexOf(0);
  // The first problem from the start: a NUL after invalid bytes is reported as the invalid bytes.
  if (nul >= 0) return isUtf8(rest.subarray(0, nul)) ? NUL_FOUND : INVALID_UTF8;
  if (!isUtf8(rest)) return INVALID_UTF8;
  to.set(rest, out);
  return NON_ASCII;
}
