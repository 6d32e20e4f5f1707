import { postgresEventsDigest, type TableDigest } from './events-digest.js';
import type { MigrateFixture } from './migrate-fixture.js';
import { killGroup, runC2y, spawnC2y } from './run-cli.js';

export interface TrialResult {
  readonly trial: number;
  readonly kills: number;
  readonly killAfterMs: readonly number[];
  /** Rows committed in the target right after each kill: strictly between 0 and all means killed mid-run. */
  readonly rowsAtKill: readonly number[];
  readonly resumes: number;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly digestMatches: boolean;
  readonly completed: boolean;
  readonly error?: string;
}

/** Trial tables have no primary key: a row written twice must show up as a duplicate, not as a COPY error. */
const EVENTS_NO_KEY = `(tenant_id integer, bucket integer, event_time timestamptz, event_id uuid, kind text, user_id uuid,
  source_ip inet, amount numeric, score double precision, quantity integer, total bigint, active boolean, tags text[], payload text)`;

/** xorshift: trials are reproducible from their number. */
function random(seed: number): () => number {
  let state = (seed * 2654435761) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * Starts a migration, kill -9s the driver and all executors at a random instant (once or twice, the second time
 * during the resume), resumes to the end, and counts lost and duplicated rows against the source.
 */
export function killedMidRun(result: TrialResult): boolean {
  return result.rowsAtKill.some((rows) => rows > 0 && rows < result.sourceRows);
}

export async function killResumeTrial(fx: MigrateFixture, trial: number, options: { flushEvery: number }): Promise<TrialResult> {
  const next = random(trial + 1);
  const table = `trial_${trial}`;
  await fx.db.query(`CREATE TABLE public.${table} ${EVENTS_NO_KEY}`);
  const args = fx.args(table, ['--split-size-mb', '0.05', '--parallelism', String(2 + Math.floor(next() * 6)), '--cores', String(1 + Math.floor(next() * 3)),
    '--copy-flush-every', String(options.flushEvery), '--set', 'target.createTable=false', '--set', 'retryBackoffMs=100']);
  const kills = next() < 0.3 ? 2 : 1;
  const killAfterMs: number[] = [];
  const rowsAtKill: number[] = [];
  let resumes = 0;
  for (let k = 0; k < kills; k++) {
    // Most kills wait for a random share of the rows to be committed, then strike at a random instant inside
    // the next transactions; the rest strike early, during planning or the first COPY.
    const early = next() < 0.2;
    const fraction = 0.05 + next() * 0.85;
    const jitterMs = Math.round(next() * 40);
    const started = Date.now();
    const { child, result } = spawnC2y(k === 0 ? args : [...args, '--resume']);
    if (k > 0) resumes++;
    let exited = false;
    void result.then(() => (exited = true));
    if (early) await new Promise((resolve) => setTimeout(resolve, 100 + next() * 1500));
    else {
      while (!exited) {
        const present = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`);
        if ((present.rows[0]?.n ?? 0) >= fraction * fx.rows) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, jitterMs));
    }
    killAfterMs.push(Date.now() - started);
    killGroup(child);
    await result;
    const present = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`);
    rowsAtKill.push(present.rows[0]?.n ?? 0);
  }
  const final = await runC2y([...args, '--resume']);
  resumes++;
  const counts = await fx.db.query<{ total: number; distinct_keys: number }>(
    `SELECT count(*)::int AS total, count(DISTINCT (tenant_id, bucket, event_time, event_id))::int AS distinct_keys FROM public.${table}`,
  );
  const { total, distinct_keys: distinctKeys } = counts.rows[0] as { total: number; distinct_keys: number };
  const digest: TableDigest = await postgresEventsDigest(fx.db, table);
  return {
    trial, kills, killAfterMs, rowsAtKill, resumes, sourceRows: fx.rows, targetRows: total,
    lost: fx.rows - distinctKeys, duplicated: total - distinctKeys,
    digestMatches: digest.digest === fx.sourceDigest.digest && digest.count === fx.sourceDigest.count,
    completed: final.code === 0,
    ...(final.code === 0 ? {} : { error: final.stderr.slice(-500) }),
  };
}
