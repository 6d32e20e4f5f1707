import { hostname } from 'node:os';
import { C2yError, LOCK_RETRY, messageOf, retryDelayMs } from '../errors/index.js';
import { quoteIdent } from '../schema/index.js';
import type { Queryable, TargetClient } from './target-client.js';

/** The first key of every c2y advisory lock ('c2y1'), so they never meet another application's locks. */
const LOCK_CLASS = 0x63327931;

/** Who holds a target table: written beside the lock so a refused driver can name it. */
export interface LockHolder {
  readonly runId: string | null;
  readonly host: string;
  readonly pid: number;
  readonly since: Date;
}

/** What a run hears of its lock's connection: dropped (and being taken again), taken again, or lost for good. */
export interface RunLockWatch {
  dropped(why: string): void;
  retaken(afterMs: number): void;
  lost(error: C2yError): void;
}

/**
 * One driver per target table. A session-level advisory lock on a connection of its own: it is held for as long as
 * the driver's process lives and released by the server the instant that connection dies (kill -9 included), so a
 * resume after a crash never waits for a lease to run out. The holder's run, host and pid sit in `<schema>.run_locks`.
 */
export class RunLock {
  private watcher: RunLockWatch | undefined;
  private released = false;

  private constructor(private client: TargetClient, private readonly connect: () => Promise<TargetClient>, private readonly table: string, private readonly targets: readonly string[], private runId: string | null) {
    this.watch(client);
  }

  /**
   * Takes the lock for `target` (database.schema.table), or for every table of a keyspace run on one connection,
   * or refuses naming the run that holds one of them (and holds none).
   */
  static async acquire(connect: () => Promise<TargetClient>, schema: string, target: string | readonly string[]): Promise<RunLock> {
    const targets = typeof target === 'string' ? [target] : [...target];
    const table = `${quoteIdent(schema)}.run_locks`;
    const client = await connect();
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
        target text PRIMARY KEY, run_id text, host text NOT NULL, pid integer NOT NULL, since timestamptz NOT NULL DEFAULT now())`);
      await takeAll(client, table, targets, null);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new RunLock(client, connect, table, targets, null);
  }

  /**
   * Whether some c2y holds the lock on `target` now (a driver, or a live apply): read from pg_locks, where a lock
   * of two int4 keys shows its first key as classid and its second as objid (unsigned), objsubid 2.
   */
  static async isHeld(db: Queryable, target: string): Promise<boolean> {
    const result = await db.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
         AND classid::bigint = $1 AND objid::bigint = (hashtext($2)::bigint & 4294967295)) AS held`, [LOCK_CLASS, target]);
    return result.rows[0]?.held === true;
  }

  /** Names the run once it exists, for the message another driver gets. */
  async record(runId: string): Promise<void> {
    this.runId = runId;
    for (const target of this.targets) await writeHolder(this.client, this.table, target, runId);
  }

  /**
   * Told when the lock's connection dies (the lock with it: until it is taken again another driver could take the
   * table, so the run's log says so), when it is held again, and when it cannot be: the run must stop, not go on unguarded.
   */
  watchWith(watcher: RunLockWatch): void {
    this.watcher = watcher;
  }

  async release(): Promise<void> {
    this.released = true;
    this.watcher = undefined;
    for (const target of this.targets) await untake(this.client, this.table, target);
    await this.client.end().catch(() => undefined);
  }

  private watch(client: TargetClient): void {
    let once = false;
    const onDown = (error?: Error): void => {
      if (once || this.released) return;
      once = true;
      this.watcher?.dropped(error === undefined ? 'its connection ended' : messageOf(error));
      void this.retake();
    };
    client.on('error', onDown);
    client.on('end', () => onDown());
  }

  /**
   * A target restart drops the lock with its connection: take it again (the run's tasks retry meanwhile). The first
   * try goes at once: a connection the server ended alone (a terminated backend, an idle timeout) is replaced within a
   * connect, where a first wait of ~250 ms left the table to any driver that asked meanwhile; a restart's tries back off.
   */
  private async retake(): Promise<void> {
    const droppedAt = performance.now();
    let lastError: unknown;
    for (let attempt = 0; attempt < RETAKE_ATTEMPTS && !this.released; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelayMs(LOCK_RETRY, attempt)));
      let client: TargetClient | undefined;
      try {
        client = await this.connect();
        await takeAll(client, this.table, this.targets, this.runId);
        if (this.released) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        this.watch(client);
        this.watcher?.retaken(performance.now() - droppedAt);
        return;
      } catch (error) {
        await client?.end().catch(() => undefined);
        lastError = error;
        if (error instanceof C2yError && error.code === 'RUN_LOCKED') break;
      }
    }
    if (!this.released) this.watcher?.lost(lockLost(this.targets.join(', '), lastError));
  }
}

/** ~2 minutes of attempts: longer than a target restart, shorter than leaving a run unguarded for long. */
const RETAKE_ATTEMPTS = 16;

/** All or none: a refusal on one target gives back those already taken on this connection. */
async function takeAll(client: TargetClient, table: string, targets: readonly string[], runId: string | null): Promise<void> {
  const taken: string[] = [];
  try {
    for (const target of targets) {
      await take(client, table, target, runId);
      taken.push(target);
    }
  } catch (error) {
    for (const target of taken) await untake(client, table, target);
    throw error;
  }
}

async function untake(client: TargetClient, table: string, target: string): Promise<void> {
  await client.query(`DELETE FROM ${table} WHERE target = $1 AND pid = $2 AND host = $3`, [target, process.pid, hostname()]).catch(() => undefined);
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, target]).catch(() => undefined);
}

async function take(client: TargetClient, table: string, target: string, runId: string | null): Promise<void> {
  const taken = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, target]);
  if (taken.rows[0]?.ok !== true) {
    const holder = await readHolder(client, table, target);
    throw new C2yError('RUN_LOCKED', `another c2y driver is writing ${target}: ${describeHolder(holder)}`, {
      hint: 'wait for it to end (c2y status, or its progress), or stop it; two drivers on one table would write its rows twice',
      context: { target, runId: holder?.runId ?? null, host: holder?.host ?? null },
    });
  }
  await writeHolder(client, table, target, runId);
}

async function writeHolder(db: Queryable, table: string, target: string, runId: string | null): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (target, run_id, host, pid) VALUES ($1, $2, $3, $4)
     ON CONFLICT (target) DO UPDATE SET run_id = EXCLUDED.run_id, host = EXCLUDED.host, pid = EXCLUDED.pid, since = now()`,
    [target, runId, hostname(), process.pid],
  );
}

async function readHolder(db: Queryable, table: string, target: string): Promise<LockHolder | undefined> {
  const result = await db.query(`SELECT run_id, host, pid, since FROM ${table} WHERE target = $1`, [target]).catch(() => ({ rows: [] }));
  const row = result.rows[0] as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return { runId: row['run_id'] === null ? null : String(row['run_id']), host: String(row['host']), pid: Number(row['pid']), since: row['since'] as Date };
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'a driver that has not recorded itself yet';
  const run = holder.runId === null ? 'a run still being planned' : `run ${holder.runId}`;
  return `${run}, driver pid ${holder.pid} on ${holder.host}, since ${holder.since.toISOString()}`;
}

function lockLost(target: string, error: unknown): C2yError {
  return new C2yError('RUN_LOCK_LOST', `the run lock on ${target} was lost with its connection and could not be taken again: ${messageOf(error)}; stopping so no second driver can race this one`, {
    hint: 'committed rows and checkpoints are kept; once the target answers again, resume the run',
    retryable: true,
  });
}
