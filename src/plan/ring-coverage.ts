import { MAX_TOKEN, MIN_TOKEN, type TokenRange } from './token-range.js';
import { clipToSelection, WHOLE_RING, type TokenSelection } from './token-selection.js';
import type { Split } from './token-splits.js';

/**
 * Why `splits` do not cover Murmur3's ring ]MIN_TOKEN, MAX_TOKEN] exactly once (a gap, an overlap, a range outside
 * its split), or undefined when they do. Within each split, the ranges read must be exactly the selected tokens
 * (source.tokenRanges; the whole ring by default). A run may only end `finished` when this is undefined for its plan.
 */
export function ringCoverageProblem(splits: readonly Split[], selection: TokenSelection = WHOLE_RING): string | undefined {
  const ordered = [...splits].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let covered = MIN_TOKEN;
  for (const split of ordered) {
    if (split.start > covered) return `tokens ]${covered}, ${split.start}] belong to no split`;
    if (split.start < covered) return `split ${split.id} starts at ${split.start}, inside tokens already covered up to ${covered}`;
    if (split.end <= split.start) return `split ${split.id} is empty or reversed: ]${split.start}, ${split.end}]`;
    const problem = rangesProblem(split, clipToSelection({ ...split, replicas: [] }, selection));
    if (problem !== undefined) return problem;
    covered = split.end;
  }
  if (covered !== MAX_TOKEN) return `tokens ]${covered}, ${MAX_TOKEN}] belong to no split`;
  return undefined;
}

/** Why a split's ranges, taken together, are not exactly `wanted` (its selected tokens, in order). */
function rangesProblem(split: Split, wanted: readonly TokenRange[]): string | undefined {
  const merged: TokenRange[] = [];
  for (const range of split.ranges) {
    if (range.end <= range.start) return `split ${split.id}: range ]${range.start}, ${range.end}] is empty or reversed`;
    const last = merged[merged.length - 1];
    if (last && range.start < last.end) return `split ${split.id}: range ]${range.start}, ${range.end}] overlaps tokens up to ${last.end}`;
    if (last && range.start === last.end) merged[merged.length - 1] = { start: last.start, end: range.end };
    else merged.push({ start: range.start, end: range.end });
  }
  for (let i = 0; i < Math.max(merged.length, wanted.length); i++) {
    const got = merged[i];
    const want = wanted[i];
    if (got?.start === want?.start && got?.end === want?.end) continue;
    if (want === undefined || (got !== undefined && (got.start < want.start || got.end > want.end))) {
      return `split ${split.id}: tokens ]${got?.start}, ${got?.end}] are read, but only ]${want?.start ?? '-'}, ${want?.end ?? '-'}] is selected there`;
    }
    const from = got === undefined || got.start > want.start ? want.start : got.end;
    const to = got === undefined ? want.end : got.start > want.start ? got.start : want.end;
    return `split ${split.id}: tokens ]${from}, ${to}] are in none of its ranges`;
  }
  return undefined;
}
