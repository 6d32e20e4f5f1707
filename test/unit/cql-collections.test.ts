import { describe, expect, it } from 'vitest';
import { CqlMap, CqlSet, isCqlSet } from '../../src/schema/index.js';

describe('CqlSet and CqlMap keep what Cassandra keeps', () => {
  it('a map keeps -0.0 and 0.0 apart, in order, and looks keys up like Object.is', () => {
    const map = new CqlMap<number, string>();
    map.set(-0, 'neg').set(0, 'pos').set(Number.NaN, 'nan').set(0, 'pos2');
    expect(map.size).toBe(3);
    expect([...map].map(([k, v]) => [Object.is(k, -0) ? '-0' : String(k), v])).toEqual([['-0', 'neg'], ['0', 'pos2'], ['NaN', 'nan']]);
    expect(map.get(-0)).toBe('neg');
    expect(map.has(Number.NaN)).toBe(true);
    expect(map.delete(-0)).toBe(true);
    expect(map.get(0)).toBe('pos2');
    expect(map.get(-0)).toBeUndefined();
    expect(new Map() instanceof CqlMap).toBe(true);
  });

  it('a map of 100,000 entries decodes in linear time', () => {
    const started = Date.now();
    const map = new CqlMap<number, number>();
    for (let i = 0; i < 100_000; i++) map.set(i, i);
    expect(map.size).toBe(100_000);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a set keeps -0.0 apart from 0.0 and is told from a plain array', () => {
    const set = new CqlSet([-0, 0, 1]);
    expect(set.length).toBe(3);
    expect(Object.is(set[0], -0)).toBe(true);
    expect(isCqlSet(set)).toBe(true);
    expect(isCqlSet([1])).toBe(false);
  });
});
