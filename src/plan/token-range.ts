/** Murmur3Partitioner's token domain. No key hashes to MIN_TOKEN, so ]MIN_TOKEN, MAX_TOKEN] holds every key. */
export const MIN_TOKEN = -(2n ** 63n);
export const MAX_TOKEN = 2n ** 63n - 1n;

/** ]start, end], never wrapping: start < end. */
export interface TokenRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** A ring range with the replicas that own it (host addresses, preferred first). */
export interface ReplicatedRange extends TokenRange {
  readonly replicas: readonly string[];
}

/** A ring range as Cassandra states it: ]start, end], wrapping past MAX_TOKEN when start >= end. */
export interface RingRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly replicas: readonly string[];
}

/** Cuts wrap-around ranges at the ring's edge, so every range is ]start, end] with start < end, sorted by start. */
export function unwrapRing(ring: readonly RingRange[]): ReplicatedRange[] {
  const out: ReplicatedRange[] = [];
  for (const range of ring) {
    if (range.start < range.end) out.push(range);
    else {
      if (range.start < MAX_TOKEN) out.push({ start: range.start, end: MAX_TOKEN, replicas: range.replicas });
      if (range.end > MIN_TOKEN) out.push({ start: MIN_TOKEN, end: range.end, replicas: range.replicas });
    }
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

export function rangeWidth(range: TokenRange): bigint {
  return range.end - range.start;
}

/** The part of `range` after `token` (exclusive), or undefined when nothing is left. */
export function rangeAfter(range: TokenRange, token: bigint): TokenRange | undefined {
  if (token >= range.end) return undefined;
  return token <= range.start ? range : { start: token, end: range.end };
}
