import { describe, expect, it } from 'vitest';
import { mergeDigest, targetPartPredicate, type DigestResult } from '../../src/task/digest-task.js';
import { BucketDigests } from '../../src/digest/row-digest.js';
import { drillDownRounds } from '../../src/workflow/index.js';

describe('validate task pieces', () => {
  it('merging per-task digests equals digesting all rows in one place, in any order', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, values: [`k${i}`, `v${i * 7}`] }));
    const whole = new BucketDigests(16);
    for (const row of rows) whole.add(row);
    const asResult = (part: BucketDigests): DigestResult => ({ rows: part.rows, counts: part.counts, digests: part.digests.map((d) => d.toString(16)), bytes: part.bytes, collected: [] });
    const a = new BucketDigests(16);
    const b = new BucketDigests(16);
    rows.forEach((row, i) => (i % 3 === 0 ? a : b).add(row));
    const merged = new BucketDigests(16);
    mergeDigest(merged, asResult(b));
    mergeDigest(merged, asResult(a));
    expect(merged.rows).toBe(500);
    expect(merged.differingBuckets(whole)).toEqual([]);
    const changed = new BucketDigests(16);
    mergeDigest(changed, asResult(a));
    expect(changed.differingBuckets(whole).length).toBeGreaterThan(0);
  });

  it('packs differing buckets into drill-down rounds of at most the budget (a bigger bucket alone), each bucket once', () => {
    const source = new BucketDigests(8);
    const target = new BucketDigests(8);
    [10, 30, 50, 5, 100, 0, 20, 40].forEach((size, bucket) => {
      source.bytes[bucket] = size;
      target.bytes[bucket] = size % 7;
    });
    const rounds = drillDownRounds([0, 1, 2, 3, 4, 6, 7], source, target, 60);
    expect(rounds.flat()).toEqual([0, 1, 2, 3, 4, 6, 7]);
    for (const round of rounds) {
      const size = round.reduce((sum, b) => sum + (source.bytes[b] ?? 0) + (target.bytes[b] ?? 0), 0);
      if (round.length > 1) expect(size).toBeLessThanOrEqual(60);
    }
    expect(rounds).toContainEqual([4]);
    expect(drillDownRounds([], source, target, 60)).toEqual([]);
  });

  it('cuts the target by heap blocks (last part open-ended) or by yb_hash_code of the quoted partition key', () => {
    expect(targetPartPredicate({ id: 0, kind: 'blocks', fromBlock: 0, toBlock: 40 }, ['a'])).toBe("ctid >= '(0,0)'::tid AND ctid < '(40,0)'::tid");
    expect(targetPartPredicate({ id: 3, kind: 'blocks', fromBlock: 120, toBlock: null }, ['a'])).toBe("ctid >= '(120,0)'::tid");
    expect(targetPartPredicate({ id: 1, kind: 'yb-hash', from: 4096, to: 8191 }, ['tenant', 'Odd "name"'])).toBe('yb_hash_code("tenant", "Odd ""name""") BETWEEN 4096 AND 8191');
  });
});
