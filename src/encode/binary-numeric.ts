import { ValueEncodeError } from './encode-error.js';
import type { ChunkWriter } from './chunk-writer.js';

/** PostgreSQL numeric: up to 131,072 digits before the decimal point and 16,383 after (as formatDecimal). */
const MAX_INTEGER_DIGITS = 131_072;
const MAX_SCALE = 16_383;
const NUMERIC_NEG = 0x4000;

/** Why unscaled × 10^-scale cannot be a numeric, or undefined when it can (the text path's limits, same words). */
export function numericLimitProblem(digits: string, scale: number, kind: 'decimal' | 'varint' = 'decimal'): string | undefined {
  if (scale <= MAX_SCALE && (digits === '0' || digits.length - scale <= MAX_INTEGER_DIGITS)) return undefined;
  const shown = digits.length > 20 ? `${digits.slice(0, 20)}… (${digits.length} digits)` : digits;
  if (kind === 'varint') return `varint ${shown} is outside PostgreSQL numeric's range (${MAX_INTEGER_DIGITS} digits before the point)`;
  return `decimal ${digits.length > 20 ? `${digits.slice(0, 20)}…` : digits}E${-scale} is outside PostgreSQL numeric's range (${MAX_INTEGER_DIGITS} digits before the point, ${MAX_SCALE} after)`;
}

/** Four decimal digits of `text` from `at` (text holds only digits). */
function group(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 1000 + (text.charCodeAt(at + 1) - 48) * 100 + (text.charCodeAt(at + 2) - 48) * 10 + (text.charCodeAt(at + 3) - 48);
}

/**
 * numeric's COPY binary field (length, ndigits, weight, sign, dscale, base-10000 digits) of ±digits × 10^-scale;
 * dscale is the scale (0 when negative), as PostgreSQL keeps it for the text the text path would have sent.
 */
export function writeNumeric(out: ChunkWriter, column: string, negative: boolean, digits: string, scale: number, kind: 'decimal' | 'varint' = 'decimal'): void {
  const problem = numericLimitProblem(digits, scale, kind);
  if (problem !== undefined) throw new ValueEncodeError(column, problem);
  let whole = digits;
  if (scale < 0) {
    whole = digits === '0' ? '0' : digits + '0'.repeat(-scale);
    scale = 0;
  }
  const integerPart = whole.length > scale ? whole.slice(0, whole.length - scale).replace(/^0+/, '') : '';
  const fractionPart = whole.length > scale ? whole.slice(whole.length - scale) : '0'.repeat(scale - whole.length) + whole;
  const paddedInteger = '0'.repeat((4 - (integerPart.length % 4)) % 4) + integerPart;
  const paddedFraction = fractionPart + '0'.repeat((4 - (fractionPart.length % 4)) % 4);
  const groups: number[] = [];
  for (let at = 0; at < paddedInteger.length; at += 4) groups.push(group(paddedInteger, at));
  for (let at = 0; at < paddedFraction.length; at += 4) groups.push(group(paddedFraction, at));
  let weight = paddedInteger.length / 4 - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let last = groups.length;
  while (last > first && groups[last - 1] === 0) last--;
  const count = last - first;
  if (count === 0) weight = 0;
  out.int32(8 + 2 * count);
  // ndigits is unsigned on the wire: numeric's limits allow up to 36,864 base-10000 digits.
  out.int16(count > 32767 ? count - 65536 : count);
  out.int16(weight);
  out.int16(negative && count > 0 ? NUMERIC_NEG : 0);
  out.int16(scale);
  for (let index = first; index < last; index++) out.int16(groups[index] as number);
}

/** A signed integer of any size (varint) or unscaled decimal as numeric. */
export function writeBigNumeric(out: ChunkWriter, column: string, unscaled: bigint, scale: number, kind: 'decimal' | 'varint' = 'decimal'): void {
  const negative = unscaled < 0n;
  writeNumeric(out, column, negative, (negative ? -unscaled : unscaled).toString(), scale, kind);
}

/** The widest integer (varint, or a decimal's unscaled value) writeIntegerNumeric takes: 154 decimal digits. */
export const INTEGER_NUMERIC_BYTES = 64;
/**
 * Scratch: the magnitude in 24-bit limbs, most significant first, with a zero spare on top for the fraction's padding:
 * a limb of 24 bits under a remainder below 10^8 stays below 2^53, so each division pass yields two base-10000 digits.
 */
const LIMBS = new Float64Array(Math.ceil(INTEGER_NUMERIC_BYTES / 3) + 1);
/** Scratch: base-10000 digits, least significant first. */
const GROUPS = new Int32Array(48);
const PAD_FACTORS = [1, 1000, 100, 10] as const;
const LIMB = 16_777_216;

/**
 * numeric's COPY binary field of a big-endian two's-complement integer (a varint, a decimal's unscaled value) ×
 * 10^-scale: the fields writeNumeric writes, computed by long division of the magnitude's limbs by 10^8 (no BigInt,
 * no digit string). Takes up to INTEGER_NUMERIC_BYTES bytes and a scale of 0 to MAX_SCALE; returns false (nothing
 * written) otherwise, for writeNumeric's digit string and its range errors.
 */
export function writeIntegerNumeric(out: ChunkWriter, bytes: Buffer, start: number, length: number, scale: number): boolean {
  if (length > INTEGER_NUMERIC_BYTES || scale < 0 || scale > MAX_SCALE) return false;
  if (length > 0 && length <= 6 && scale <= 12) {
    const value = bytes.readIntBE(start, length);
    smallNumeric(out, value < 0, Math.abs(value), scale);
    return true;
  }
  const negative = length > 0 && ((bytes[start] as number) & 0x80) !== 0;
  const limbCount = loadMagnitude(bytes, start, length, negative);
  // The fraction padded on the right to whole groups of four digits: the groups then align with the point.
  const fractionGroups = Math.ceil(scale / 4);
  multiplyLimbs(limbCount, PAD_FACTORS[scale % 4] as number);
  let groupCount = divideIntoGroups(limbCount);
  while (groupCount > 0 && GROUPS[groupCount - 1] === 0) groupCount--;
  let first = 0;
  while (first < groupCount && GROUPS[first] === 0) first++;
  const count = groupCount - first;
  out.int32(8 + 2 * count);
  out.int16(count);
  out.int16(count === 0 ? 0 : groupCount - 1 - fractionGroups);
  out.int16(negative && count > 0 ? NUMERIC_NEG : 0);
  out.int16(scale);
  for (let index = groupCount - 1; index >= first; index--) out.int16(GROUPS[index] as number);
  return true;
}

/** Scratch for a small value's base-10000 digits (integer part at most 4 groups, fraction at most 3). */
const SMALL_GROUPS = new Int32Array(8);
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

/**
 * magnitude × 10^-scale (magnitude < 2^47, scale 0…12: most decimals and varints in practice) in double arithmetic,
 * exact (integer part < 2^47, fraction × 10^3 < 10^15): ~2–3× faster than the limbs' division on such values.
 */
function smallNumeric(out: ChunkWriter, negative: boolean, magnitude: number, scale: number): void {
  const power = POWERS_OF_TEN[scale] as number;
  let whole = Math.floor(magnitude / power);
  const fractionGroups = Math.ceil(scale / 4);
  // The fraction, padded on the right to whole groups of four digits.
  let fraction = (magnitude - whole * power) * (POWERS_OF_TEN[fractionGroups * 4 - scale] as number);
  let integerGroups = 0;
  while (whole > 0) {
    const next = Math.floor(whole / 10000);
    SMALL_GROUPS[3 - integerGroups] = whole - next * 10000;
    whole = next;
    integerGroups++;
  }
  for (let index = fractionGroups - 1; index >= 0; index--) {
    const next = Math.floor(fraction / 10000);
    SMALL_GROUPS[4 + index] = fraction - next * 10000;
    fraction = next;
  }
  let first = 4 - integerGroups;
  let weight = integerGroups - 1;
  const end = 4 + fractionGroups;
  while (first < end && SMALL_GROUPS[first] === 0) {
    first++;
    weight--;
  }
  let last = end;
  while (last > first && SMALL_GROUPS[last - 1] === 0) last--;
  const count = last - first;
  out.int32(8 + 2 * count);
  out.int16(count);
  out.int16(count === 0 ? 0 : weight);
  out.int16(negative && count > 0 ? NUMERIC_NEG : 0);
  out.int16(scale);
  for (let index = first; index < last; index++) out.int16(SMALL_GROUPS[index] as number);
}

/** |value| into LIMBS[0..count] (LIMBS[0] a zero spare); returns count + 1. Negative: inverted bytes, plus one. */
function loadMagnitude(bytes: Buffer, start: number, length: number, negative: boolean): number {
  const limbCount = Math.ceil(length / 3);
  const flip = negative ? 0xff : 0;
  let carry = negative ? 1 : 0;
  let at = start + length - 1;
  for (let limb = limbCount; limb >= 1; limb--, at -= 3) {
    // The top limb may hold fewer than three bytes: sign bytes there, inverted, would be 0 as |value| needs.
    const low = (bytes[at] as number) ^ flip;
    const middle = at - 1 >= start ? (bytes[at - 1] as number) ^ flip : 0;
    const high = at - 2 >= start ? (bytes[at - 2] as number) ^ flip : 0;
    const value = high * 65536 + middle * 256 + low + carry;
    carry = value >= LIMB ? 1 : 0;
    LIMBS[limb] = value - carry * LIMB;
  }
  LIMBS[0] = 0;
  return limbCount + 1;
}

function multiplyLimbs(count: number, factor: number): void {
  if (factor === 1) return;
  let carry = 0;
  for (let limb = count - 1; limb >= 0; limb--) {
    const value = (LIMBS[limb] as number) * factor + carry;
    carry = Math.floor(value / LIMB);
    LIMBS[limb] = value - carry * LIMB;
  }
}

/** LIMBS (consumed) as base-10000 digits in GROUPS, least significant first; returns how many (a top one may be 0). */
function divideIntoGroups(count: number): number {
  let top = 0;
  let groups = 0;
  for (;;) {
    while (top < count && LIMBS[top] === 0) top++;
    if (top === count) return groups;
    let remainder = 0;
    for (let limb = top; limb < count; limb++) {
      const value = remainder * LIMB + (LIMBS[limb] as number);
      const quotient = Math.floor(value / 1e8);
      LIMBS[limb] = quotient;
      remainder = value - quotient * 1e8;
    }
    const high = Math.floor(remainder / 10000);
    GROUPS[groups++] = remainder - high * 10000;
    GROUPS[groups++] = high;
  }
}
