import { describe, expect, it } from 'vitest';
import { cassandraAtRest } from '../../bench/lib/at-rest.js';

describe('a Cassandra at rest (the benches wait for it before measuring)', () => {
  it('is at rest after one quiet window', () => {
    expect(cassandraAtRest([0.05], 1)).toBe(true);
    expect(cassandraAtRest([0.25], 3)).toBe(true);
  });

  it('is not at rest before any window', () => {
    expect(cassandraAtRest([], 1)).toBe(false);
  });

  it('is at rest on its own idle floor above the absolute threshold (an idle node at 0.10-0.19 of a core)', () => {
    expect(cassandraAtRest([0.9, 0.6, 0.15, 0.17, 0.14], 1)).toBe(true);
    expect(cassandraAtRest([0.15, 0.17], 1)).toBe(false);
  });

  it('keeps waiting while a compaction holds a steady core, and while CPU is still falling', () => {
    expect(cassandraAtRest([1.0, 0.98, 1.0, 0.99, 1.0], 1)).toBe(false);
    expect(cassandraAtRest([0.29, 0.5, 0.28, 0.45], 1)).toBe(false);
    expect(cassandraAtRest([0.9, 0.6, 0.4, 0.25], 1)).toBe(false);
  });

  it('scales both thresholds with the ring\'s nodes', () => {
    expect(cassandraAtRest([0.5, 0.45, 0.47, 0.46], 3)).toBe(true);
    expect(cassandraAtRest([0.5, 0.45, 0.47, 0.46], 1)).toBe(false);
  });
});
