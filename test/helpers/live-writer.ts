import type { ChildProcess } from 'node:child_process';
import { killGroup } from './run-cli.js';
import type { TestDatabase } from './servers.js';
import { until } from './wait.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A writer that runs rounds of changes (round n each) until stopped; stop() says how many rounds ran. */
export function startWriter(round: (n: number) => Promise<void>): { stop: () => Promise<number> } {
  let running = true;
  let rounds = 0;
  const done = (async () => {
    while (running) {
      await round(rounds++);
      await sleep(20);
    }
  })();
  return { stop: async () => { running = false; await done; return rounds; } };
}

/**
 * Every live apply recorded in the target (`streams` of them, when given) has committed, for every node, a moment
 * after `at` (ms): every change written before it is applied.
 */
export async function appliedPast(db: TestDatabase, at: number, streams?: number): Promise<boolean> {
  const result = await db.query<{ streams: number; through: string | null }>('SELECT count(DISTINCT stream)::int AS streams, min(applied_through) AS through FROM c2y.cdc_positions')
    .catch(() => ({ rows: [] as Array<{ streams: number; through: string | null }> }));
  const row = result.rows[0];
  return row !== undefined && (streams === undefined || row.streams === streams) && row.through !== null && Number(row.through) > at;
}

/**
 * A kill -9 of a live apply at a random moment once it has committed while `writer` writes, then a second of writes
 * while nothing applies (the resumed apply must find them in the log); the writer is stopped after.
 */
export async function killDuringApply(live: { child: ChildProcess; result: Promise<unknown>; stderrSoFar: () => string }, committed: () => Promise<boolean>, writer: { stop: () => Promise<number> }): Promise<void> {
  try {
    await until('the apply to commit', committed, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${live.stderrSoFar().slice(-4000)}`);
    });
    await sleep(500 + Math.random() * 1500);
    killGroup(live.child);
    await live.result;
    await sleep(1000);
  } finally {
    await writer.stop();
  }
}
