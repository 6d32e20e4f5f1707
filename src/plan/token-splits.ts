import { MAX_TOKEN, MIN_TOKEN, type ReplicatedRange, type RingRange, unwrapRing } from './token-range.js';
import { clipToSelection, selectedWidth, tokenAtSelectedWidth, WHOLE_RING, type TokenSelection } from './token-selection.js';

/** One unit of work: a contiguous token interval, scanned range by range on each range's own replicas. */
export interface Split {
  readonly id: number;
  readonly start: bigint;
  readonly end: bigint;
  /** The ring ranges inside ]start, end], clipped, in token order. */
  readonly ranges: readonly ReplicatedRange[];
}

/**
 * Cuts ]MIN_TOKEN, MAX_TOKEN] into `count` intervals that each hold an equal share of the selected tokens (of the
 * whole ring by default) and clips the ring's ranges, within the selection, into each: every selected token is in
 * exactly one split, and every sub-range knows its replicas. A selection of fewer tokens than `count` gets fewer splits.
 */
export function cutSplits(ring: readonly RingRange[], count: number, selection: TokenSelection = WHOLE_RING): Split[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`split count must be a positive integer, got ${count}`);
  const ranges = unwrapRing(ring.length > 0 ? ring : [{ start: MIN_TOKEN, end: MIN_TOKEN, replicas: [] }]);
  const width = selectedWidth(selection);
  const splitCount = BigInt(count) < width ? BigInt(count) : width > 0n ? width : 1n;
  const boundary = (index: bigint): bigint => (index === 0n ? MIN_TOKEN : index === splitCount ? MAX_TOKEN : tokenAtSelectedWidth(selection, (width * index) / splitCount));
  const splits: Split[] = [];
  for (let index = 0n; index < splitCount; index++) {
    const start = boundary(index);
    const end = boundary(index + 1n);
    const clipped: ReplicatedRange[] = [];
    for (const range of ranges) {
      const s = range.start > start ? range.start : start;
      const e = range.end < end ? range.end : end;
      if (s < e) clipped.push(...clipToSelection({ start: s, end: e, replicas: range.replicas }, selection));
    }
    splits.push(Object.freeze({ id: Number(index), start, end, ranges: Object.freeze(clipped) }));
  }
  return splits;
}

export interface PartitionCounts {
  /** What the user asked for (parallelism / spark.default.parallelism). */
  readonly requested: number;
  /** ceil(estimated table bytes / split size): what the data can fill. */
  readonly tokenSplits: number;
  /** min(requested, tokenSplits), at least 1: the splits this run cuts. */
  readonly effective: number;
  readonly reason: string;
}

const MIB = 1024 * 1024;

export function partitionCounts(requested: number, estimatedBytes: number, splitSizeMb: number): PartitionCounts {
  const tokenSplits = Math.max(1, Math.ceil(estimatedBytes / (splitSizeMb * MIB)));
  const effective = Math.max(1, Math.min(requested, tokenSplits));
  const sizeText = `${(estimatedBytes / MIB).toFixed(1)} MiB estimated / ${splitSizeMb} MiB per split = ${tokenSplits} token split(s)`;
  const reason = tokenSplits < requested
    ? `${sizeText}, fewer than the ${requested} requested: each split would otherwise be smaller than splitSizeMb (lower source.splitSizeMb for more splits)`
    : `${requested} requested ≤ ${sizeText}: parallelism decides`;
  return { requested, tokenSplits, effective, reason };
}

/** JSON-safe form of a split (bigint as decimal text), for the run table and IPC. */
export interface SplitJson {
  readonly id: number;
  readonly start: string;
  readonly end: string;
  readonly ranges: ReadonlyArray<{ readonly start: string; readonly end: string; readonly replicas: readonly string[] }>;
}

export function splitToJson(split: Split): SplitJson {
  return {
    id: split.id, start: split.start.toString(), end: split.end.toString(),
    ranges: split.ranges.map((r) => ({ start: r.start.toString(), end: r.end.toString(), replicas: [...r.replicas] })),
  };
}

export function splitFromJson(json: SplitJson): Split {
  return Object.freeze({
    id: json.id, start: BigInt(json.start), end: BigInt(json.end),
    ranges: Object.freeze(json.ranges.map((r) => ({ start: BigInt(r.start), end: BigInt(r.end), replicas: r.replicas }))),
  });
}
