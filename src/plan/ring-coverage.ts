import { MAX_TOKEN, MIN_TOKEN } from './token-range.js';
import type { Split } from './token-splits.js';

/**
 * Why `splits` do not cover Murmur3's ring ]MIN_TOKEN, MAX_TOKEN] exactly once (a gap, an overlap, a range outside
 * its split), or undefined when they do. A run may only end `finished` when this is undefined for its plan.
 */
export function ringCoverageProblem(splits: readonly Split[]): string | undefined {
  const ordered = [...splits].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let covered = MIN_TOKEN;
  for (const split of ordered) {
    if (split.start > covered) return `tokens ]${covered}, ${split.start}] belong to no split`;
    if (split.start < covered) return `split ${split.id} starts at ${split.start}, inside tokens already covered up to ${covered}`;
    if (split.end <= split.start) return `split ${split.id} is empty or reversed: ]${split.start}, ${split.end}]`;
    let inner = split.start;
    for (const range of split.ranges) {
      if (range.start !== inner) return `split ${split.id}: tokens ]${inner}, ${range.start}] are in none of its ranges`;
      if (range.end <= range.start) return `split ${split.id}: range ]${range.start}, ${range.end}] is empty or reversed`;
      inner = range.end;
    }
    if (inner !== split.end) return `split ${split.id}: tokens ]${inner}, ${split.end}] are in none of its ranges`;
    covered = split.end;
  }
  if (covered !== MAX_TOKEN) return `tokens ]${covered}, ${MAX_TOKEN}] belong to no split`;
  return undefined;
}
