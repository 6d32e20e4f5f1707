import { describe, expect, it } from 'vitest';
import { queryTogether, type BundledQuery, type Queryable } from '../../src/sink/index.js';

/** A target that answers as pg does: one statement with its result, several with an array of them. */
function answering(results: Array<Array<Record<string, unknown>>>, sent: string[]): Queryable {
  return {
    query: async (sql: string) => {
      sent.push(sql);
      const shaped = results.map((rows) => ({ rows }));
      return (shaped.length === 1 ? shaped[0] : shaped) as never;
    },
  };
}

const count: BundledQuery<number> = { sql: 'SELECT 3 AS n', read: (rows) => Number(rows[0]?.['n']) };
const names: BundledQuery<string[]> = { sql: 'SELECT name FROM t', read: (rows) => rows.map((row) => String(row['name'])) };

describe('queryTogether', () => {
  it('sends the statements as one message and reads each result with its own reader, in order', async () => {
    const sent: string[] = [];
    const [n, listed] = await queryTogether(answering([[{ n: 3 }], [{ name: 'a' }, { name: 'constructor' }]], sent), [count, names]);
    expect(sent).toEqual(['SELECT 3 AS n;\nSELECT name FROM t']);
    expect(n).toBe(3);
    expect(listed).toEqual(['a', 'constructor']);
  });

  it('reads a single statement\'s result, which pg does not wrap in an array', async () => {
    const [listed] = await queryTogether(answering([[{ name: 'x' }]], []), [names]);
    expect(listed).toEqual(['x']);
  });

  it('refuses an answer with a different number of results than statements (never reads one result as another)', async () => {
    await expect(queryTogether(answering([[{ n: 3 }], [], []], []), [count, names])).rejects.toThrow('2 statements sent together, 3 results came back');
  });
});
