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

/**
 * One map writer's entries while it writes a cell: where each entry's text is and its key's array index (-1: none).
 * Reused cell after cell, never an object per entry: a map's writer cannot run inside itself (a type does not contain
 * itself), so one scratch per writer is enough. ~1.4 KB a types_zoo row of garbage before.
 */
class MapEntries {
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  indexes = new Float64Array(16);
  order = new Int32Array(16);
  count = 0;
  /** The entries' text while they are rewritten in order. */
  private copied = Buffer.allocUnsafe(1024);

  add(start: number, end: number, index: number): void {
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.indexes[this.count] = index;
    this.count++;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const widen = <T extends Int32Array | Float64Array>(old: T, next: T): T => (next.set(old), next);
    this.starts = widen(this.starts, new Int32Array(size));
    this.ends = widen(this.ends, new Int32Array(size));
    this.indexes = widen(this.indexes, new Float64Array(size));
    this.order = new Int32Array(size);
  }

  /**
   * Rewrites the entries after `open` in a JS object's key order: array-index keys first, ascending, then the rest
   * as written (the reference builds the map as an object). Two entries with one index: false (the reference decides).
   */
  inObjectOrder(out: ChunkWriter, open: number): boolean {
    const { indexes, order } = this;
    let placed = 0;
    // Insertion sort of the index keys (a map cell holds a few), then the other keys in their order.
    for (let entry = 0; entry < this.count; entry++) {
      const index = indexes[entry] as number;
      if (index < 0) continue;
      let at = placed++;
      while (at > 0 && (indexes[order[at - 1] as number] as number) > index) order[at] = order[--at] as number;
      if (at > 0 && indexes[order[at - 1] as number] === index) return false;
      order[at] = entry;
    }
    for (let entry = 0; entry < this.count; entry++) if ((indexes[entry] as number) < 0) order[placed++] = entry;
    const length = out.length - open;
    if (this.copied.length < length) this.copied = Buffer.allocUnsafe(length * 2);
    out.copyInto(this.copied, open);
    out.truncate(open);
    for (let i = 0; i < this.count; i++) {
      const entry = order[i] as number;
      if (i > 0) out.byte(COMMA);
      out.copy(this.copied, (this.starts[entry] as number) - open, (this.ends[entry] as number) - open);
    }
    return true;
  }
}

/** `{"key":value,…}` of a protocol v4 map (count, then each key's and value's int32 length and bytes). */
export function mapJson(key: JsonWriter, value: JsonWriter): JsonWriter {
  const entries = new MapEntries();
  return (bytes, start, length, out) => {
    const end = start + length;
    const count = length >= 4 ? bytes.readInt32BE(start) : -1;
    if (count < 0) return false;
    let at = start + 4;
    out.byte(0x7b);
    const open = out.length;
    entries.count = 0;
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
      entries.add(entryStart, out.length, index);
    }
    if (anyIndex && !entries.inObjectOrder(out, open)) return false;
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
