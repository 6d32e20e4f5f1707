import { describe, expect, it } from 'vitest';
import { cassandraAtRest, cassandraWarm } from '../../bench/lib/at-rest.js';

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

describe('a Cassandra warm for measuring (the limits and peers benches scan until it is)', () => {
  it('is warm once two scans in a row cost within the tolerance of each other', () => {
    expect(cassandraWarm([12.55, 9.2, 9.0])).toBe(true);
    expect(cassandraWarm([9.2, 8.81])).toBe(true);
  });

  it('is not warm after one scan, nor while each scan costs less than the last (the JIT still compiling)', () => {
    expect(cassandraWarm([])).toBe(false);
    expect(cassandraWarm([9.0])).toBe(false);
    expect(cassandraWarm([12.55, 11.33])).toBe(false);
    expect(cassandraWarm([12.55, 11.33, 9.43])).toBe(false);
  });

  it('is not warm after an outlier either way', () => {
    expect(cassandraWarm([8.8, 11.02])).toBe(false);
    expect(cassandraWarm([11.02, 8.81])).toBe(false);
  });
});
