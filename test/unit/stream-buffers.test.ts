import { describe, expect, it } from 'vitest';
import { StreamBufferPool } from '../../src/task/stream-buffers.js';

describe('split streams\' buffers', () => {
  it('are handed to the next split emptied, so a task makes them once, not once per split', () => {
    const pool = new StreamBufferPool();
    const first = pool.take();
    first.writer.ascii('half a row');
    first.lines.add(42n, 7);
    pool.give(first);
    const next = pool.take();
    expect(next).toBe(first);
    expect(next.writer.length).toBe(0);
    expect(next.lines.identityOf(1)).toBeUndefined();
    expect(pool.madeCount).toBe(1);
  });

  it('are made anew only for streams open at the same time', () => {
    const pool = new StreamBufferPool();
    const open = [pool.take(), pool.take(), pool.take()];
    expect(new Set(open).size).toBe(3);
    for (const buffers of open) pool.give(buffers);
    for (let split = 0; split < 10; split++) {
      const a = pool.take();
      const b = pool.take();
      pool.give(a);
      pool.give(b);
    }
    expect(pool.madeCount).toBe(3);
  });
});
