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
