import type { Queryable } from './target-client.js';

/** A statement that can travel with others in one simple-query message (values as literals), and how to read its rows. */
export interface BundledQuery<T> {
  readonly sql: string;
  read(rows: ReadonlyArray<Record<string, unknown>>): T;
}

type Readings<Q extends readonly BundledQuery<unknown>[]> = { -readonly [K in keyof Q]: Q[K] extends BundledQuery<infer T> ? T : never };

/**
 * The statements in one message, their results read in order: one round trip where each alone took one (over a WAN
 * the difference a user waits for). PostgreSQL runs the message as one implicit transaction: a statement that fails
 * fails them all, and a retry repeats them all, so only read-only or idempotent statements belong together.
 */
export async function queryTogether<const Q extends readonly BundledQuery<unknown>[]>(db: Queryable, queries: Q): Promise<Readings<Q>> {
  const sql = queries.map((query) => query.sql).join(';\n');
  const answer = (await db.query(sql)) as unknown;
  // pg answers one statement with its result, several with an array of results.
  const results = (Array.isArray(answer) ? answer : [answer]) as Array<{ rows: Array<Record<string, unknown>> }>;
  if (results.length !== queries.length) throw new Error(`${queries.length} statements sent together, ${results.length} results came back`);
  return queries.map((query, i) => query.read(results[i]?.rows ?? [])) as Readings<Q>;
}
