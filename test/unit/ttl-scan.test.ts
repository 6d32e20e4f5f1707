import { describe, expect, it } from 'vitest';
import { leastTtl } from '../../src/source/index.js';

describe('leastTtl', () => {
  it('takes the least TTL of a row\'s cells, a multi-cell collection\'s elements included', () => {
    expect(leastTtl([null, 30, 12])).toBe(12);
    // Cassandra 5 gives TTL(c) of a non-frozen collection as one TTL per element, null where an element has none.
    expect(leastTtl([[100, null, 7], 50])).toBe(7);
    expect(leastTtl([[null, null], null])).toBeNull();
    expect(leastTtl([])).toBeNull();
    // 0 is not a TTL (Cassandra reports none as null; a cell without TTL never expires).
    expect(leastTtl([0, null])).toBeNull();
  });
});
