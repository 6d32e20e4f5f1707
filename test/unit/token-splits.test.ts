import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN, MIN_TOKEN, cutSplits, partitionCounts, rangeAfter, splitFromJson, splitToJson, type RingRange } from '../../src/plan/index.js';
import { initialTokens } from '../../src/testbed/index.js';

/** The ring Cassandra describes for nodes with these tokens: node i owns ]token(i-1), token(i)]. */
function ringOf(tokens: bigint[]): RingRange[] {
  const sorted = [...tokens].sort((a, b) => (a < b ? -1 : 1));
  return sorted.map((end, i) => ({ start: sorted[(i - 1 + sorted.length) % sorted.length]!, end, replicas: [`node${i}`] }));
}

/** Every token in ]MIN, MAX] lies in exactly one sub-range of exactly one split. */
function assertExactCover(ring: RingRange[], count: number): void {
  const splits = cutSplits(ring, count);
  expect(splits).toHaveLength(count);
  const ranges = splits.flatMap((split) => {
    for (const r of split.ranges) {
      expect(r.start).toBeGreaterThanOrEqual(split.start);
      expect(r.end).toBeLessThanOrEqual(split.end);
      expect(r.start < r.end).toBe(true);
    }
    return split.ranges;
  });
  expect(ranges[0]!.start).toBe(MIN_TOKEN);
  expect(ranges[ranges.length - 1]!.end).toBe(MAX_TOKEN);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
  // Each sub-range keeps the replicas of the ring range that holds it.
  for (const range of ranges) {
    const owner = ring.find((r) => (r.start < r.end ? range.start >= r.start && range.end <= r.end : range.start >= r.start || range.end <= r.end));
    expect(range.replicas).toEqual(owner!.replicas);
  }
}

describe('token splits', () => {
  it('cover the ring exactly once for 1 and 3 nodes and random split counts', () => {
    fc.assert(fc.property(fc.constantFrom(1, 3), fc.integer({ min: 1, max: 300 }), (nodes, count) => {
      assertExactCover(ringOf(initialTokens(nodes)), count);
    }), { numRuns: 200 });
  });

  it('cover the ring exactly once for random node tokens', () => {
    const token = fc.bigInt({ min: MIN_TOKEN, max: MAX_TOKEN });
    fc.assert(fc.property(fc.uniqueArray(token, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (tokens, count) => {
      assertExactCover(ringOf(tokens), count);
    }), { numRuns: 200 });
  });

  it('handle the single-token ring whose one range wraps onto itself', () => {
    const splits = cutSplits([{ start: 5n, end: 5n, replicas: ['a'] }], 1);
    expect(splits[0]!.ranges.map((r) => [r.start, r.end])).toEqual([[MIN_TOKEN, 5n], [5n, MAX_TOKEN]]);
  });

  it('survive a JSON round trip', () => {
    const splits = cutSplits(ringOf(initialTokens(3)), 7);
    expect(splits.map((s) => splitFromJson(JSON.parse(JSON.stringify(splitToJson(s)))))).toEqual(splits);
  });

  it('resume after a token', () => {
    expect(rangeAfter({ start: 0n, end: 10n }, 4n)).toEqual({ start: 4n, end: 10n });
    expect(rangeAfter({ start: 0n, end: 10n }, 10n)).toBeUndefined();
    expect(rangeAfter({ start: 0n, end: 10n }, -3n)).toEqual({ start: 0n, end: 10n });
  });
});

describe('partition counts', () => {
  it('take the smaller of requested and what the data fills', () => {
    expect(partitionCounts(16, 100 * 1024 * 1024, 64)).toMatchObject({ requested: 16, tokenSplits: 2, effective: 2 });
    expect(partitionCounts(16, 10 * 1024 ** 3, 64)).toMatchObject({ tokenSplits: 160, effective: 16 });
    expect(partitionCounts(16, 0, 64)).toMatchObject({ tokenSplits: 1, effective: 1 });
    expect(partitionCounts(4, 0, 64).reason).toContain('fewer than the 4 requested');
  });
});
