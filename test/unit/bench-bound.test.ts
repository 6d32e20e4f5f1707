import { describe, expect, it } from 'vitest';
import { boundOf } from '../../bench/lib/bound.js';

describe('the limits bench\'s bound (cores over Cassandra\'s plus PostgreSQL\'s CPU a row)', () => {
  it('is the rate at which the cores are spent on the servers\' work alone, and e2e is set against it', () => {
    const bound = boundOf(118_427, 9.05, 3.83, 2);
    expect(bound.boundRowsPerSecond).toBe(155_280);
    expect(bound.e2eOverBound).toBeCloseTo(0.7627, 4);
  });

  it('keeps the parts it was given, so the headline shows the medians it came from', () => {
    expect(boundOf(100_000, 8, 2, 2)).toEqual({ cassandraMicrosPerRow: 8, postgresMicrosPerRow: 2, boundRowsPerSecond: 200_000, e2eOverBound: 0.5 });
  });
});
