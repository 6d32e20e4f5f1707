import { describe, expect, it } from 'vitest';
import { clockSkewProblems } from '../../src/workflow/clock-skew.js';

const at = (clock: string, offsetMs: number, uncertaintyMs = 2): { clock: string; offsetMs: number; uncertaintyMs: number } => ({ clock, offsetMs, uncertaintyMs });

describe('clockSkewProblems (catch-up: clocks far apart)', () => {
  it('names a node further from the target than the margin, ahead or behind', () => {
    const problems = clockSkewProblems({ target: at('target', 100), nodes: [at('Cassandra 10.0.0.1', 100 + 90_000), at('Cassandra 10.0.0.2', 100 - 75_000), at('Cassandra 10.0.0.3', 150)] }, 60);
    expect(problems).toEqual(['Cassandra 10.0.0.1 is 90.0 s ahead of the target\'s clock', 'Cassandra 10.0.0.2 is 75.0 s behind the target\'s clock']);
  });

  it('never blames what the readings cannot tell apart: a skew within the round trips passes a margin of 0', () => {
    expect(clockSkewProblems({ target: at('target', 0, 3), nodes: [at('Cassandra a', 4, 2)] }, 0)).toEqual([]);
    expect(clockSkewProblems({ target: at('target', 0, 3), nodes: [at('Cassandra a', 6, 2)] }, 0)).toHaveLength(1);
  });
});
