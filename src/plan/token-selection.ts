import { MAX_TOKEN, MIN_TOKEN, type ReplicatedRange, type TokenRange } from './token-range.js';

/**
 * The part of the ring a run reads (`source.tokenRanges` minus `source.skipTokenRanges`): sorted, disjoint,
 * non-empty ]start, end] intervals. The whole ring when neither is set.
 */
export type TokenSelection = readonly TokenRange[];

export const WHOLE_RING: TokenSelection = [{ start: MIN_TOKEN, end: MAX_TOKEN }];

const TOKEN = /^\s*(-?\d+)\s*$/;

/** One `start:end` (Cassandra's ]start, end]; wrapping past the ring's end when start ≥ end), or why it is not one. */
export function parseTokenRange(text: string): TokenRange[] | string {
  const parts = text.split(':');
  const [start, end] = parts.map((part) => TOKEN.exec(part)?.[1]);
  if (parts.length !== 2 || start === undefined || end === undefined) return `"${text}" is not start:end (two whole Murmur3 tokens)`;
  const from = BigInt(start);
  const to = BigInt(end);
  for (const token of [from, to]) if (token < MIN_TOKEN || token > MAX_TOKEN) return `${token} in "${text}" is outside Murmur3's tokens (${MIN_TOKEN} to ${MAX_TOKEN})`;
  if (from < to) return [{ start: from, end: to }];
  // ]start, MAX] and ]MIN, end], as Cassandra reads a range that wraps.
  return [...(from < MAX_TOKEN ? [{ start: from, end: MAX_TOKEN }] : []), ...(to > MIN_TOKEN ? [{ start: MIN_TOKEN, end: to }] : [])];
}

function sortedUnion(ranges: readonly TokenRange[]): TokenRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: TokenRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range.start <= last.end) out[out.length - 1] = { start: last.start, end: range.end > last.end ? range.end : last.end };
    else out.push(range);
  }
  return out;
}

/** What of `ranges` lies outside every range of `holes`. */
function subtract(ranges: readonly TokenRange[], holes: readonly TokenRange[]): TokenRange[] {
  let left = [...ranges];
  for (const hole of holes) {
    left = left.flatMap((range) => [
      ...(range.start < hole.start ? [{ start: range.start, end: hole.start < range.end ? hole.start : range.end }] : []),
      ...(range.end > hole.end ? [{ start: hole.end > range.start ? hole.end : range.start, end: range.end }] : []),
    ]);
  }
  return left.filter((range) => range.start < range.end);
}

/** The selection `include` (every token when empty) minus `skip`; texts are parsed by parseTokenRange (checked by the config). */
export function tokenSelection(include: readonly string[], skip: readonly string[]): TokenSelection {
  const parse = (texts: readonly string[]): TokenRange[] => texts.flatMap((text) => {
    const parsed = parseTokenRange(text);
    if (typeof parsed === 'string') throw new RangeError(parsed);
    return parsed;
  });
  return subtract(include.length === 0 ? WHOLE_RING : sortedUnion(parse(include)), sortedUnion(parse(skip)));
}

export function isWholeRing(selection: TokenSelection): boolean {
  return selection.length === 1 && selection[0]?.start === MIN_TOKEN && selection[0].end === MAX_TOKEN;
}

/** Whether `token` is in the selection (binary search: the target side of validate asks once per row). */
export function selects(selection: TokenSelection, token: bigint): boolean {
  let low = 0;
  let high = selection.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = selection[middle] as TokenRange;
    if (token <= range.start) high = middle - 1;
    else if (token > range.end) low = middle + 1;
    else return true;
  }
  return false;
}

/** The parts of `range` inside the selection, in token order, each with the range's replicas. */
export function clipToSelection(range: ReplicatedRange, selection: TokenSelection): ReplicatedRange[] {
  const out: ReplicatedRange[] = [];
  for (const selected of selection) {
    const start = range.start > selected.start ? range.start : selected.start;
    const end = range.end < selected.end ? range.end : selected.end;
    if (start < end) out.push({ start, end, replicas: range.replicas });
  }
  return out;
}

/** Selected tokens in ]MIN_TOKEN, token]: where a split boundary goes so each split gets an equal share of them. */
export function tokenAtSelectedWidth(selection: TokenSelection, width: bigint): bigint {
  let left = width;
  for (const range of selection) {
    const size = range.end - range.start;
    if (left <= size) return range.start + left;
    left -= size;
  }
  return MAX_TOKEN;
}

export function selectedWidth(selection: TokenSelection): bigint {
  return selection.reduce((sum, range) => sum + (range.end - range.start), 0n);
}

/** As text for the run's plan and messages: `start:end` per range. */
export function selectionText(selection: TokenSelection): string[] {
  return selection.map((range) => `${range.start}:${range.end}`);
}
