/**
 * Faster text forms than the driver's own toString() for the types it is slow on. Each is checked against the
 * driver's form by a property test.
 */

import { UnrepresentableValue } from './calendar-text.js';

interface DriverInteger { readonly bits_: readonly number[]; readonly sign_: number }
interface DriverBigDecimal { readonly _intVal: DriverInteger; readonly _scale: number }

/** The driver's Integer is two's complement in 32-bit words, least significant first, with a sign filler. */
export function integerToBigInt(value: DriverInteger): bigint {
  let result = 0n;
  for (let index = value.bits_.length - 1; index >= 0; index--) result = (result << 32n) | BigInt((value.bits_[index] as number) >>> 0);
  if (value.sign_ === -1) result -= 1n << BigInt(32 * value.bits_.length);
  return result;
}

/** Plain digits with the scale's decimal places kept (12.50 stays 12.50), never exponent notation. */
/** PostgreSQL numeric: up to 131,072 digits before the decimal point and 16,383 after. */
const NUMERIC_MAX_INTEGER_DIGITS = 131_072;
const NUMERIC_MAX_SCALE = 16_383;

export function decimalText(value: unknown): string {
  const decimal = value as DriverBigDecimal;
  const unscaled = integerToBigInt(decimal._intVal);
  const text = formatDecimal(unscaled, decimal._scale);
  if (text !== undefined) return text;
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString();
  throw new UnrepresentableValue(`decimal ${digits.length > 20 ? `${digits.slice(0, 20)}…` : digits}E${-decimal._scale} is outside PostgreSQL numeric's range (${NUMERIC_MAX_INTEGER_DIGITS} digits before the point, ${NUMERIC_MAX_SCALE} after)`);
}

/** unscaled × 10^-scale as numeric text; undefined past numeric's limits (the text would be refused anyway). */
export function formatDecimal(unscaled: bigint, scale: number): string | undefined {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  // A scale near 2^31 would not even fit a string.
  if (scale > NUMERIC_MAX_SCALE || (unscaled !== 0n && digits.length - scale > NUMERIC_MAX_INTEGER_DIGITS)) return undefined;
  const sign = negative ? '-' : '';
  if (scale <= 0) return unscaled === 0n ? '0' : sign + digits + '0'.repeat(-scale);
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  return `${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** 8-4-4-4-12 from one native hex conversion of the 16 bytes. */
export function uuidText(value: unknown): string {
  const hex = (value as { buffer: Buffer }).buffer.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** IPv4 straight from its four bytes; IPv6 through the driver, which compresses zeros the standard way. */
export function inetText(value: unknown): string {
  const address = value as { buffer: Buffer; toString(): string };
  const b = address.buffer;
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : address.toString();
}

const BACKSLASH = 92;
const NEWLINE = 10;
const RETURN = 13;
const TAB = 9;

/** COPY text escaping in one pass: slices between specials, no regex callback per match. */
export function copyEscape(text: string): string {
  let out = '';
  let from = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > BACKSLASH || (code !== BACKSLASH && code !== NEWLINE && code !== RETURN && code !== TAB)) continue;
    out += text.slice(from, index) + (code === BACKSLASH ? '\\\\' : code === NEWLINE ? '\\n' : code === RETURN ? '\\r' : '\\t');
    from = index + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
