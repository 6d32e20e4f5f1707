import { postgresEventsDigest, type TableDigest } from './events-digest.js';
import type { MigrateFixture } from './migrate-fixture.js';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { killCassandraNode, restartPostgres, startCassandra } from '../../src/testbed/index.js';
import { EXIT } from '../../src/errors/index.js';
import { killGroup, runC2y, spawnC2y } from './run-cli.js';
import { STATICS_TARGET_COLUMNS, postgresStaticsDigest, recordedStaticOnly, type StaticsTable } from './statics-table.js';

/**
 * What strikes mid-run: kill -9 of the driver with every executor (then --resume), kill -9 of one executor, a target
 * restart, a Cassandra node killed (RF 3; brought back after the trial), or the run's target connections cut.
 */
export type Fault = 'kill-driver' | 'kill-executor' | 'target-restart' | 'node-kill' | 'connection-drop' | 'refused-restart' | 'second-driver';
export const FAULTS: readonly Fault[] = ['kill-driver', 'kill-executor', 'target-restart', 'node-kill', 'connection-drop', 'refused-restart', 'second-driver'];

export interface TrialResult {
  readonly trial: number;
  /** The source table: events, or statics (with static-only partitions, which must be recorded as rejects once each). */
  readonly table: 'events' | 'statics';
  readonly fault: Fault;
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
  /** Rows per commit this trial: below the events' 20 rows a partition, commits land inside partitions. */
  readonly flushEvery: number;
  /** `c2y validate` after the trial: true when it found no difference; null when not run. */
  readonly validateClean: boolean | null;
  /** statics only: static-only partitions in the source, and static-only rejects recorded (all, distinct keys). */
  readonly staticOnly?: { readonly expected: number; readonly recorded: number; readonly distinct: number };
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

/** The executors are the driver's children (forked). */
function executorPids(driver: ChildProcess): number[] {
  const listed = spawnSync('pgrep', ['-P', String(driver.pid)], { encoding: 'utf8' });
  return listed.stdout.split('\n').filter(Boolean).map(Number);
}

/**
 * Strikes `fault` at the run `child` (started with `args`). Returns what went wrong with the fault itself (a restart
 * that was not refused, a second driver that was not locked out), or undefined.
 */
async function strike(fault: Fault, child: ChildProcess, running: Promise<unknown>, fx: MigrateFixture, args: readonly string[], pick: number): Promise<string | undefined> {
  switch (fault) {
    case 'kill-driver':
      killGroup(child);
      return undefined;
    case 'refused-restart': {
      // kill -9, then a --restart the memory check refuses: the old run must be left whole for the final --resume.
      killGroup(child);
      await running;
      // 1 MiB is below any task's planned need (encode buffer and connection alone take more), whatever the rows:
      // 8 MiB let the statics table's small rows through, and its executors then ran out of heap.
      const restart = await runC2y([...args, '--restart', '--executor-memory', '1m']);
      return restart.code === EXIT.usage && restart.stderr.includes('MEMORY_PLAN_REFUSED') ? undefined : `restart not refused (exit ${restart.code}): ${restart.stderr.slice(-300)}`;
    }
    case 'second-driver': {
      // A second driver started by mistake, plain, --resume or --restart: it must refuse while the first one runs.
      let firstEnded = false;
      void running.then(() => (firstEnded = true));
      const extra = [[], ['--resume'], ['--restart']][Math.floor(pick * 3)] as string[];
      const second = await runC2y([...args, ...extra]);
      if (firstEnded) return undefined;
      return second.code === EXIT.usage && second.stderr.includes('RUN_LOCKED') ? undefined : `second driver (${extra.join(' ') || 'plain'}) not locked out (exit ${second.code}): ${second.stderr.slice(-300)}`;
    }
    case 'kill-executor': {
      const pids = executorPids(child);
      const pid = pids[Math.floor(pick * pids.length)];
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
      return undefined;
    }
    case 'target-restart':
      restartPostgres();
      return undefined;
    case 'node-kill':
      killCassandraNode(2 + Math.floor(pick * 2));
      return undefined;
    case 'connection-drop':
      await fx.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'c2y % split %' AND datname = $1`, [fx.db.database]);
      return undefined;
  }
}

/** 'mixed': 7, 13 or 100 rows a commit; the first two commit inside the events' 20-row partitions. */
export type FlushChoice = number | 'mixed';

/** What a trial copies: the target table it creates, and how it checks the result against the source. */
interface TrialSource {
  readonly name: 'events' | 'statics';
  readonly rows: number;
  readonly targetColumns: string;
  readonly keyColumns: string;
  digestMatches(table: string): Promise<boolean>;
  staticOnly(table: string): Promise<TrialResult['staticOnly']>;
}

function eventsSource(fx: MigrateFixture): TrialSource {
  return {
    name: 'events', rows: fx.rows, targetColumns: EVENTS_NO_KEY, keyColumns: 'tenant_id, bucket, event_time, event_id',
    digestMatches: async (table) => {
      const digest: TableDigest = await postgresEventsDigest(fx.db, table);
      return digest.digest === fx.sourceDigest.digest && digest.count === fx.sourceDigest.count;
    },
    staticOnly: () => Promise.resolve(undefined),
  };
}

function staticsSource(fx: MigrateFixture, statics: StaticsTable): TrialSource {
  return {
    name: 'statics', rows: statics.rows, targetColumns: STATICS_TARGET_COLUMNS, keyColumns: 'part, id',
    digestMatches: async (table) => (await postgresStaticsDigest(fx.db, table)) === statics.digest,
    staticOnly: async (table) => {
      const recorded = await recordedStaticOnly(fx.db, table);
      return { expected: statics.staticOnlyPartitions, recorded: recorded.total, distinct: recorded.distinct };
    },
  };
}

/**
 * Trials 2, 5 and 8 of every ten copy statics (so a 3-trial --quick soak has one). Chosen outside the trial's random
 * stream: the other trials draw the same faults and instants as before the statics table was added.
 */
function trialSource(fx: MigrateFixture, trial: number, statics: StaticsTable | undefined): TrialSource {
  return statics !== undefined && [2, 5, 8].includes(trial % 10) ? staticsSource(fx, statics) : eventsSource(fx);
}

export async function killResumeTrial(fx: MigrateFixture, trial: number, options: { flushEvery: FlushChoice; faults?: readonly Fault[]; validate?: boolean; statics?: StaticsTable }): Promise<TrialResult> {
  const source = trialSource(fx, trial, options.statics);
  const next = random(trial + 1);
  const faults = options.faults ?? ['kill-driver'];
  const fault = faults[Math.floor(next() * faults.length)] as Fault;
  const flushEvery = options.flushEvery === 'mixed' ? ([7, 13, 100][Math.floor(next() * 3)] as number) : options.flushEvery;
  const table = `trial_${trial}`;
  await fx.db.query(`CREATE TABLE public.${table} ${source.targetColumns}`);
  const args = fx.args(table, ['--split-size-mb', '0.05', '--parallelism', String(2 + Math.floor(next() * 6)), '--cores', String(1 + Math.floor(next() * 3)),
    '--copy-flush-every', String(flushEvery), '--set', 'target.createTable=false', '--set', 'retryBackoffMs=100'], source.name);
  const kills = fault === 'kill-driver' && next() < 0.3 ? 2 : 1;
  const killAfterMs: number[] = [];
  const rowsAtKill: number[] = [];
  let resumes = 0;
  const faultProblems: string[] = [];
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
        if ((present.rows[0]?.n ?? 0) >= fraction * source.rows) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, jitterMs));
    }
    killAfterMs.push(Date.now() - started);
    const problem = await strike(fault, child, result, fx, args, next());
    if (problem) faultProblems.push(problem);
    // Committed rows at the instant of the fault (a restarted target answers a moment later).
    const present = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`).catch(() => fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`));
    rowsAtKill.push(present.rows[0]?.n ?? 0);
    await result;
  }
  if (fault === 'node-kill') await startCassandra({ nodes: 3, log: () => undefined });
  // A finished run resumes as a no-op; an interrupted or failed one completes here.
  const final = await runC2y([...args, '--resume']);
  resumes++;
  const counts = await fx.db.query<{ total: number; distinct_keys: number }>(
    `SELECT count(*)::int AS total, count(DISTINCT (${source.keyColumns}))::int AS distinct_keys FROM public.${table}`,
  );
  const { total, distinct_keys: distinctKeys } = counts.rows[0] as { total: number; distinct_keys: number };
  const digestMatches = await source.digestMatches(table);
  const staticOnly = await source.staticOnly(table);
  if (staticOnly !== undefined && (staticOnly.recorded !== staticOnly.expected || staticOnly.distinct !== staticOnly.expected)) {
    faultProblems.push(`static-only partitions: ${staticOnly.expected} in the source, ${staticOnly.recorded} recorded (${staticOnly.distinct} distinct)`);
  }
  const validated = options.validate === true ? await runC2y(['validate', ...args.slice(1), '--buckets', '64']) : undefined;
  // Static-only partitions are rejects: a clean end there is "done with rejects".
  const cleanExit = final.code === EXIT.done || (staticOnly !== undefined && staticOnly.expected > 0 && final.code === EXIT.doneWithRejects);
  const completed = cleanExit && faultProblems.length === 0;
  return {
    trial, table: source.name, fault, kills, killAfterMs, rowsAtKill, resumes, sourceRows: source.rows, targetRows: total,
    lost: source.rows - distinctKeys, duplicated: total - distinctKeys, digestMatches,
    completed, flushEvery, validateClean: validated === undefined ? null : validated.code === 0,
    ...(staticOnly === undefined ? {} : { staticOnly }),
    ...(completed ? {} : { error: [...faultProblems, cleanExit ? '' : final.stderr.slice(-500)].join(' | ') }),
  };
}
