import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN, MIN_TOKEN, cutSplits, ringCoverageProblem, type RingRange, type Split } from '../../src/plan/index.js';
import { checkPartitioner } from '../../src/source/index.js';

function ringOf(tokens: bigint[]): RingRange[] {
  const sorted = [...new Set(tokens)].sort((a, b) => (a < b ? -1 : 1));
  return sorted.map((end, i) => ({ start: sorted[(i - 1 + sorted.length) % sorted.length]!, end, replicas: [`node${i}`] }));
}

const token = fc.bigInt({ min: MIN_TOKEN + 1n, max: MAX_TOKEN });

describe('ring coverage', () => {
  it('holds for every plan cutSplits makes, whatever the ring and split count', () => {
    fc.assert(fc.property(fc.array(token, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (tokens, count) => {
      expect(ringCoverageProblem(cutSplits(ringOf(tokens), count))).toBeUndefined();
    }));
  });

  it('names a missing split, a gap inside a split, an overlap and an unfinished end', () => {
    const splits = cutSplits(ringOf([-5n, 100n, 2n ** 62n]), 4);
    expect(ringCoverageProblem(splits.filter((split) => split.id !== 2))).toMatch(/belong to no split/);
    expect(ringCoverageProblem(splits.slice(0, 3))).toMatch(new RegExp(`\\]${splits[3]!.start}, ${MAX_TOKEN}\\] belong to no split`));
    const holed: Split = { ...splits[1]!, ranges: splits[1]!.ranges.slice(1) };
    expect(ringCoverageProblem([splits[0]!, holed, splits[2]!, splits[3]!])).toMatch(/split 1: tokens .* are in none of its ranges/);
    const overlapping: Split = { ...splits[2]!, start: splits[2]!.start - 10n };
    expect(ringCoverageProblem([splits[0]!, splits[1]!, overlapping, splits[3]!])).toMatch(/inside tokens already covered/);
  });
});

describe('partitioner', () => {
  it('Murmur3 is read; RandomPartitioner and ByteOrderedPartitioner are refused before anything is read', () => {
    expect(() => checkPartitioner('org.apache.cassandra.dht.Murmur3Partitioner')).not.toThrow();
    for (const other of ['org.apache.cassandra.dht.RandomPartitioner', 'org.apache.cassandra.dht.ByteOrderedPartitioner', '']) {
      expect(() => checkPartitioner(other)).toThrow(expect.objectContaining({ code: 'PARTITIONER_UNSUPPORTED' }));
    }
  });
});
