import type { TestDatabase } from './servers.js';

/** Polls `probe` until it holds (a probe that throws counts as not yet). */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `probe` until it gives a value, and returns that value. */
export async function untilFound<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rows the checkpoints say were committed into `table` by any run (0 before the first run made its tables). */
export async function committedRows(db: TestDatabase, table: string): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT coalesce(sum(c.rows_done), 0)::int AS n FROM c2y.checkpoints c JOIN c2y.runs r USING (run_id) WHERE r.target LIKE $1`, [`%.${table}`])
    .catch(() => ({ rows: [{ n: 0 }] }));
  return result.rows[0]?.n ?? 0;
}
