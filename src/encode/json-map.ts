import type { ChunkWriter } from './chunk-writer.js';
import type { JsonWriter } from './json-cells.js';

const COMMA = 0x2c;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
/** The largest array index: a JS object lists such keys first, in ascending order, whatever their insertion order. */
const MAX_INDEX = 4294967294;

/** The key's array index if its JSON string (`"…"` at [start, end)) is one ("0", "17"; not "01" or "-1"), else -1. */
function indexOfKey(out: ChunkWriter, start: number, end: number): number {
  const digits = end - start - 2;
  if (digits < 1 || digits > 10) return -1;
  if (out.byteAt(start + 1) === ZERO && digits > 1) return -1;
  let value = 0;
  for (let at = start + 1; at < end - 1; at++) {
    const byte = out.byteAt(at);
    if (byte < ZERO || byte > NINE) return -1;
    value = value * 10 + (byte - ZERO);
  }
  return value <= MAX_INDEX ? value : -1;
}

interface Entry { readonly start: number; readonly end: number; readonly index: number }

/**
 * Rewrites the entries after `open` in a JS object's key order: array-index keys first, ascending, then the rest as
 * written (the reference builds the map as an object). Two entries with one index: false (the reference decides).
 */
function inObjectOrder(out: ChunkWriter, open: number, entries: readonly Entry[]): boolean {
  const sorted = [...entries.filter((entry) => entry.index >= 0).sort((a, b) => a.index - b.index), ...entries.filter((entry) => entry.index < 0)];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.index >= 0 && sorted[i]!.index === sorted[i - 1]!.index) return false;
  const written = out.copyOf(open, out.length);
  out.truncate(open);
  sorted.forEach((entry, i) => {
    if (i > 0) out.byte(COMMA);
    out.raw(written.subarray(entry.start - open, entry.end - open));
  });
  return true;
}

/** `{"key":value,…}` of a protocol v4 map (count, then each key's and value's int32 length and bytes). */
export function mapJson(key: JsonWriter, value: JsonWriter): JsonWriter {
  return (bytes, start, length, out) => {
    const end = start + length;
    const count = length >= 4 ? bytes.readInt32BE(start) : -1;
    if (count < 0) return false;
    let at = start + 4;
    out.byte(0x7b);
    const open = out.length;
    const entries: Entry[] = [];
    let anyIndex = false;
    for (let i = 0; i < count; i++) {
      if (i > 0) out.byte(COMMA);
      const entryStart = out.length;
      const keyLength = itemLength(bytes, at, end);
      if (Number.isNaN(keyLength) || !key(bytes, at + 4, keyLength, out)) return false;
      const index = out.byteAt(entryStart + 1) <= NINE ? indexOfKey(out, entryStart, out.length) : -1;
      anyIndex ||= index >= 0;
      at += 4 + Math.max(0, keyLength);
      out.byte(COLON);
      const valueLength = itemLength(bytes, at, end);
      if (Number.isNaN(valueLength) || !value(bytes, at + 4, valueLength, out)) return false;
      at += 4 + Math.max(0, valueLength);
      entries.push({ start: entryStart, end: out.length, index });
    }
    if (anyIndex && !inObjectOrder(out, open, entries)) return false;
    out.byte(0x7d);
    return true;
  };
}

/** An item's int32 length at `at` (negative: null), or NaN where the cell is too short for it. */
export function itemLength(bytes: Buffer, at: number, end: number): number {
  if (at + 4 > end) return Number.NaN;
  const length = bytes.readInt32BE(at);
  return length > 0 && at + 4 + length > end ? Number.NaN : length;
}
