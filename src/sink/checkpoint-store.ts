// Before pg: see node-navigator.ts.
import './node-navigator.js';
import pg from 'pg';
import { C2yError } from '../errors/index.js';
import { quoteIdent } from '../schema/index.js';
import { RunSettingsStore } from './run-settings.js';
import type { OnExisting } from './merge-stage.js';
import { queryTogether, type BundledQuery } from './one-message.js';
import type { Queryable } from './target-client.js';

/** Inside a partition: the key and clustering values (hex of their CQL serialization) of the last committed row. */
export interface StoredPosition {
  readonly key: readonly string[];
  readonly clustering: readonly string[];
}

/** How far a split is committed: every row up to `token`, or, with a position, up to that row of its partition. */
export interface SplitPoint {
  readonly token: bigint | null;
  readonly position: StoredPosition | null;
}

/** A split's first round trip: its checkpoint, and the results of the setup statements sent with it. */
export interface OpenedSplit {
  readonly checkpoint: SplitCheckpoint;
  readonly setup: ReadonlyArray<{ readonly rows: ReadonlyArray<Record<string, unknown>> }>;
}

export interface SplitCheckpoint {
  readonly splitId: number;
  /** Last token whose rows are committed (all of them when position is null); null before the first commit. */
  readonly lastToken: bigint | null;
  /** Set when a huge partition was committed part-way: the last committed row of the partition at lastToken. */
  readonly position: StoredPosition | null;
  readonly rows: number;
  /** Of those, rows whose key the target already held (target.onExisting skip or update): kept (skip) or updated where they differed. */
  readonly existing: number;
  readonly done: boolean;
}

/** A row the target could not hold, recorded in the same transaction as the batch it was cut from. */
export interface RejectedRow {
  readonly splitId: number;
  readonly token: string;
  readonly key: Readonly<Record<string, string>>;
  readonly column: string;
  readonly reason: string;
  /** The value in canonical text form, cut to 1,000 characters; for a static-only partition, its static cells as JSON. */
  readonly raw: string;
  /** value: the target cannot hold a value (onError decides); static-only: a partition with no clustering row (always recorded). */
  readonly kind: 'value' | 'static-only';
}

export interface RunRecord {
  readonly runId: string;
  readonly source: string;
  readonly target: string;
  /** superseded: a later --restart emptied the table; its checkpoints no longer describe it and it never resumes. */
  readonly status: 'running' | 'finished' | 'failed' | 'interrupted' | 'superseded';
  readonly plan: unknown;
  readonly createdAt: Date;
  /** When it finished (null while it has not). */
  readonly finishedAt: Date | null;
}

/** The run and checkpoint tables in the target: the only record of what is committed, written with the rows. */
export class CheckpointStore {
  private readonly runs: string;
  private readonly checkpoints: string;
  private readonly rejects: string;

  constructor(private readonly schema: string) {
    this.runs = `${quoteIdent(schema)}.runs`;
    this.checkpoints = `${quoteIdent(schema)}.checkpoints`;
    this.rejects = `${quoteIdent(schema)}.rejects`;
  }

  /** Run once by the driver before any task starts; concurrent CREATE IF NOT EXISTS can race in PostgreSQL. */
  async ensureTables(db: Queryable): Promise<void> {
    // One catalog read when an earlier run made them all (every run but the first): over a WAN each statement
    // below is a round trip the plan waits for (~0.8 s at 100 ms).
    if (await this.tablesComplete(db)) return;
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.runs} (
      run_id text PRIMARY KEY, source text NOT NULL, target text NOT NULL, status text NOT NULL,
      plan jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.checkpoints} (
      run_id text NOT NULL, split_id integer NOT NULL, last_token bigint, rows_done bigint NOT NULL DEFAULT 0,
      done boolean NOT NULL DEFAULT false, commits integer NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, split_id))`);
    // Tables made before commits inside a partition.
    await this.addColumnIfMissing(db, 'checkpoints', 'last_position', 'jsonb');
    // Tables made before target.onExisting.
    await this.addColumnIfMissing(db, 'checkpoints', 'rows_existing', 'bigint NOT NULL DEFAULT 0');
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.rejects} (
      run_id text NOT NULL, split_id integer NOT NULL, token bigint NOT NULL, row_key jsonb NOT NULL, column_name text NOT NULL,
      reason text NOT NULL, raw text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    // Tables made before static-only partitions were recorded.
    await this.addColumnIfMissing(db, 'rejects', 'kind', "text NOT NULL DEFAULT 'value'");
    await new RunSettingsStore(this.schema).ensureTable(db);
  }

  /** The four tables, each with the newest of its columns (the ones added since), as this user can see them. */
  private async tablesComplete(db: Queryable): Promise<boolean> {
    const found = await db.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = $1 AND (table_name, column_name) IN (('runs', 'finished_at'), ('checkpoints', 'last_position'), ('checkpoints', 'rows_existing'), ('rejects', 'kind'), ('run_settings', 'applied_at'))`,
      [this.schema],
    );
    return found.rows.length === 5;
  }

  /**
   * ALTER TABLE … ADD COLUMN IF NOT EXISTS takes an exclusive lock even when the column is there: it waited behind
   * any open transaction that had read the table (another run's split; a worker's session orphaned by a network
   * partition, which the server may keep for hours), and every new run's preparation hung with it. The catalog is
   * asked first; the ALTER runs only on a table made by an older c2y.
   */
  private async addColumnIfMissing(db: Queryable, table: 'checkpoints' | 'rejects', column: string, definition: string): Promise<void> {
    const found = await db.query('SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3', [this.schema, table, column]);
    if (found.rows.length > 0) return;
    await db.query(`ALTER TABLE ${quoteIdent(this.schema)}.${table} ADD COLUMN IF NOT EXISTS ${column} ${definition}`);
  }

  /** Inside the batch's transaction, so a rolled-back attempt leaves no reject behind and a retry records it once. */
  async recordRejects(db: Queryable, runId: string, rows: readonly RejectedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO ${this.rejects} (run_id, split_id, token, row_key, column_name, reason, raw, kind)
       SELECT $1, r.split_id, r.token, r.row_key, r.column_name, r.reason, r.raw, r.kind
       FROM jsonb_to_recordset($2::jsonb) AS r(split_id integer, token bigint, row_key jsonb, column_name text, reason text, raw text, kind text)`,
      [runId, JSON.stringify(rows.map((r) => ({ split_id: r.splitId, token: r.token, row_key: r.key, column_name: r.column, reason: r.reason, raw: r.raw, kind: r.kind })))],
    );
  }

  async readRejects(db: Queryable, runId: string): Promise<RejectedRow[]> {
    const [rejects] = await queryTogether(db, [this.rejectsQuery(runId)]);
    return rejects;
  }

  /** The run's rejects, as a statement that can travel with others (a table's end reads them with its checkpoints). */
  rejectsQuery(runId: string): BundledQuery<RejectedRow[]> {
    return {
      sql: `SELECT split_id, token::text AS token, row_key, column_name, reason, raw, kind FROM ${this.rejects} WHERE run_id = ${pg.escapeLiteral(runId)} ORDER BY split_id, token`,
      read: (rows) => rows.map((row) => ({
        splitId: Number(row['split_id']), token: String(row['token']), key: row['row_key'] as Record<string, string>,
        column: String(row['column_name']), reason: String(row['reason']), raw: String(row['raw']),
        kind: row['kind'] === 'static-only' ? 'static-only' : 'value',
      })),
    };
  }

  /**
   * Records a new run and its splits. With `restart`, in the same transaction: empties the target table and marks
   * every earlier run of this source → target superseded, so a refusal or crash before this commits leaves the old
   * run and its rows untouched, and after it no old checkpoint can describe the emptied table.
   */
  /**
   * Records a new run and its splits; a restart supersedes the earlier runs of its source and target and empties the
   * table. One statement, atomic on its own, unless a table is emptied: TRUNCATE cannot join it, so BEGIN and
   * TRUNCATE travel in one message and COMMIT after. Over a WAN that is 1 round trip (3 with a table to empty), not 4 (6).
   */
  async createRun(db: Queryable, run: { runId: string; source: string; target: string; plan: unknown; splitIds: readonly number[]; restart?: { table?: string } }): Promise<string[]> {
    // A keyspace run's own record supersedes its earlier records only: each table's run empties its table.
    const emptied = run.restart?.table;
    if (emptied !== undefined) await db.query(`BEGIN; TRUNCATE ${emptied}`);
    try {
      // Sub-statements share one snapshot: the UPDATE cannot see (and supersede) the run inserted beside it.
      const marked = await db.query<{ run_id: string }>(
        `WITH superseded AS (
           UPDATE ${this.runs} SET status = 'superseded', finished_at = coalesce(finished_at, now())
            WHERE $5::boolean AND source = $2 AND target = $3 AND status <> 'superseded' RETURNING run_id),
         created AS (INSERT INTO ${this.runs} (run_id, source, target, status, plan) VALUES ($1, $2, $3, 'running', $4)),
         splits AS (INSERT INTO ${this.checkpoints} (run_id, split_id) SELECT $1, unnest($6::int[]))
         SELECT run_id FROM superseded`,
        [run.runId, run.source, run.target, JSON.stringify(run.plan), run.restart !== undefined, [...run.splitIds]],
      );
      if (emptied !== undefined) await db.query('COMMIT');
      return marked.rows.map((row) => String(row.run_id));
    } catch (error) {
      if (emptied !== undefined) await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * The newest runs (of one source, or one run), each with its splits done and rows committed: `c2y status`. A
   * keyspace run (source `ks.*`) counts the splits and rows of its tables' runs (`<run>-tNNN`).
   */
  async listRuns(db: Queryable, filter: { readonly limit: number; readonly runId?: string; readonly source?: string }): Promise<RunSummary[]> {
    const result = await db.query<{ run_id: string; source: string; target: string; status: string; created_at: Date; finished_at: Date | null; splits: string; done: string; rows: string; on_existing: string | null; catchup_since: string | null; pass_seconds: string | null }>(
      `SELECT r.run_id, r.source, r.target, r.status, r.created_at, r.finished_at,
              r.plan->>'onExisting' AS on_existing, r.plan#>>'{catchup,sinceMicros}' AS catchup_since, r.plan->>'passSeconds' AS pass_seconds,
              count(c.split_id)::text AS splits, count(c.split_id) FILTER (WHERE c.done)::text AS done, coalesce(sum(c.rows_done), 0)::text AS rows
         FROM ${this.runs} r LEFT JOIN ${this.checkpoints} c
           ON c.run_id = r.run_id OR (r.source LIKE '%.*' AND c.run_id LIKE r.run_id || '-t___')
        WHERE ($1::text IS NULL OR r.run_id = $1) AND ($2::text IS NULL OR r.source = $2)
        GROUP BY r.run_id ORDER BY r.created_at DESC LIMIT $3`,
      [filter.runId ?? null, filter.source ?? null, filter.limit],
    );
    return result.rows.map((row) => ({
      runId: row.run_id, source: row.source, target: row.target, status: row.status, startedAt: row.created_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null, splits: Number(row.splits), splitsDone: Number(row.done), rowsCommitted: Number(row.rows),
      onExisting: (row.on_existing ?? 'refuse') as OnExisting,
      catchup: row.catchup_since === null ? null : { since: new Date(Number(row.catchup_since) / 1000).toISOString(), passSeconds: row.pass_seconds === null ? null : Number(row.pass_seconds) },
    }));
  }

  async findRun(db: Queryable, runId: string): Promise<RunRecord | undefined> {
    const result = await db.query(`SELECT run_id, source, target, status, plan, created_at, finished_at FROM ${this.runs} WHERE run_id = $1`, [runId]);
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  /** The newest run of this source → target that has not finished. */
  findUnfinishedRun(db: Queryable, source: string, target: string): Promise<RunRecord | undefined> {
    return this.newestRun(db, source, target, "status NOT IN ('finished', 'superseded')");
  }

  /** The newest run of this source → target that a --restart has not superseded, whatever its status. */
  findLatestRun(db: Queryable, source: string, target: string): Promise<RunRecord | undefined> {
    return this.newestRun(db, source, target, "status <> 'superseded'");
  }

  /** The newest finished run of this source → target: what a catch-up catches up from. */
  findLatestFinishedRun(db: Queryable, source: string, target: string): Promise<RunRecord | undefined> {
    return this.newestRun(db, source, target, "status = 'finished'");
  }

  private async newestRun(db: Queryable, source: string, target: string, condition: string): Promise<RunRecord | undefined> {
    const result = await db.query(
      `SELECT run_id, source, target, status, plan, created_at, finished_at FROM ${this.runs} WHERE source = $1 AND target = $2 AND ${condition} ORDER BY created_at DESC LIMIT 1`,
      [source, target],
    );
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  /** A catch-up pass's whole time (its scan and its validate), kept with its plan: what a cut-over's freeze would take. */
  async recordPassSeconds(db: Queryable, runId: string, seconds: number): Promise<void> {
    await db.query(`UPDATE ${this.runs} SET plan = plan || jsonb_build_object('passSeconds', $2::float8) WHERE run_id = $1`, [runId, seconds]);
  }

  async setRunStatus(db: Queryable, runId: string, status: RunRecord['status']): Promise<void> {
    await db.query(`UPDATE ${this.runs} SET status = $2, finished_at = CASE WHEN $2 = 'finished' THEN now() ELSE finished_at END WHERE run_id = $1 AND status <> 'superseded'`, [runId, status]);
  }

  async readCheckpoints(db: Queryable, runId: string): Promise<SplitCheckpoint[]> {
    const [checkpoints] = await queryTogether(db, [this.checkpointsQuery(runId)]);
    return checkpoints;
  }

  /** The run's checkpoints, as a statement that can travel with others. */
  checkpointsQuery(runId: string): BundledQuery<SplitCheckpoint[]> {
    return {
      sql: `SELECT split_id, last_token, last_position, rows_done, rows_existing, done FROM ${this.checkpoints} WHERE run_id = ${pg.escapeLiteral(runId)} ORDER BY split_id`,
      read: (rows) => rows.map(toCheckpoint),
    };
  }

  /**
   * Counts `table` and records the run's status in one statement (one round trip): `ifCounted` when the count is
   * `expected`, failed when it is not (the checkpoints do not describe the table). A superseded run keeps its status.
   * Returns the count. The update is a WITH's data-modifying part: PostgreSQL runs it whether or not it is read.
   */
  countAndRecordStatus(runId: string, table: string, expected: number, ifCounted: RunRecord['status']): BundledQuery<number> {
    const status = `CASE WHEN counted.n = ${Math.trunc(expected)} THEN ${pg.escapeLiteral(ifCounted)} ELSE 'failed' END`;
    return {
      sql: `WITH counted AS (SELECT count(*) AS n FROM ${table}),
        recorded AS (UPDATE ${this.runs} AS r SET status = s.status, finished_at = CASE WHEN s.status = 'finished' THEN now() ELSE r.finished_at END
          FROM (SELECT ${status} AS status FROM counted) AS s WHERE r.run_id = ${pg.escapeLiteral(runId)} AND r.status <> 'superseded' RETURNING 1)
        SELECT n::text AS n FROM counted`,
      read: (rows) => Number(rows[0]?.['n'] ?? 0),
    };
  }

  /**
   * BEGIN and the split's checkpoint in one round trip (one simple-query message; values as literals, as in
   * advanceAndCommit): a split reads where it stands and opens its first transaction together. The caller is in the
   * transaction when this returns, and rolls it back if the split is already done. `setup` statements (a new
   * session's settings, see session-setup.ts) go first in the same message, in a transaction of their own that
   * commits before the split's begins: what they set outlives any later ROLLBACK on the connection. Their results
   * come back in order.
   */
  async beginAndReadCheckpoint(db: Queryable, runId: string, splitId: number, setup: readonly string[] = []): Promise<OpenedSplit> {
    const committed = setup.length === 0 ? '' : `BEGIN; ${setup.join('; ')}; COMMIT; `;
    const sql = `${committed}BEGIN; SELECT split_id, last_token, last_position, rows_done, done FROM ${this.checkpoints} WHERE run_id = ${pg.escapeLiteral(runId)} AND split_id = ${Math.trunc(splitId)}`;
    const results = (await db.query(sql)) as unknown as Array<{ rows: Array<Record<string, unknown>> }>;
    const row = results[results.length - 1]?.rows[0];
    if (!row) throw new C2yError('RUN_NOT_FOUND', `no checkpoint for run ${runId} split ${splitId}`, { hint: 'the run table was changed by hand; start a new run' });
    return { checkpoint: toCheckpoint(row), setup: results.slice(1, 1 + setup.length) };
  }

  async readCheckpoint(db: Queryable, runId: string, splitId: number): Promise<SplitCheckpoint> {
    const result = await db.query(`SELECT split_id, last_token, last_position, rows_done, done FROM ${this.checkpoints} WHERE run_id = $1 AND split_id = $2`, [runId, splitId]);
    const row = result.rows[0];
    if (!row) throw new C2yError('RUN_NOT_FOUND', `no checkpoint for run ${runId} split ${splitId}`, { hint: 'the run table was changed by hand; start a new run' });
    return toCheckpoint(row);
  }

  /**
   * Advances the split's checkpoint (fenced: only from where this attempt found it, and only while the run is not
   * superseded), then COMMIT and, unless the split is done, the next BEGIN, in one round trip: one simple-query message whose
   * first statement fails (division by zero) when the fence does not hold, so PostgreSQL skips the COMMIT and the
   * transaction stays open to be rolled back. Values are written as literals: numbers and escaped text only.
   * With a merge (target.onExisting), the staged rows move into the target in the same statement, and the rows it did
   * not insert or change are counted in the checkpoint: all or nothing with the fence. With a shape check, it goes
   * first: a target table altered since the plan fails the message before anything in it commits.
   */
  async advanceAndCommit(db: Queryable, update: CheckpointAdvance, beginNext: boolean): Promise<CommitOutcome> {
    const text = (value: string | null): string => (value === null ? 'NULL' : pg.escapeLiteral(value));
    const position = (point: SplitPoint): string => `${text(point.position === null ? null : JSON.stringify(point.position))}::jsonb`;
    const token = (point: SplitPoint): string => (point.token === null ? 'NULL' : `${BigInt(point.token).toString()}::bigint`);
    const run = text(update.runId);
    const rows = Math.trunc(update.rows);
    const { merge } = update;
    const merged = merge === undefined ? '' : `merged AS (${merge.sql}), held AS (${merge.existingSql}), `;
    const existing = merge === undefined ? '' : ', rows_existing = rows_existing + (SELECT n FROM held)';
    const sql = `${update.shapeCheck === undefined ? '' : `${update.shapeCheck}; `}WITH ${merged}advanced AS (UPDATE ${this.checkpoints} SET last_token = ${token(update.to)}, last_position = ${position(update.to)},
        rows_done = rows_done + ${rows}${existing}, done = ${update.done ? 'true' : 'false'}, commits = commits + 1, updated_at = now()
      WHERE run_id = ${run} AND split_id = ${Math.trunc(update.splitId)} AND last_token IS NOT DISTINCT FROM ${token(update.from)}
        AND last_position IS NOT DISTINCT FROM ${position(update.from)} AND NOT done
        AND EXISTS (SELECT 1 FROM ${this.runs} WHERE run_id = ${run} AND status <> 'superseded') RETURNING 1)
      SELECT 1 / count(*) AS fenced${merge === undefined ? '' : ', (SELECT n FROM held)::int AS existing'} FROM advanced;${merge?.updateSql === undefined ? '' : ` ${merge.updateSql};`} COMMIT${beginNext ? '; BEGIN' : ''}`;
    try {
      const results = (await db.query(sql)) as unknown as Array<{ rows: Array<Record<string, unknown>> }>;
      return { fenced: true, existing: Number(results[0]?.rows[0]?.['existing'] ?? 0) };
    } catch (error) {
      if ((error as { code?: unknown }).code === DIVISION_BY_ZERO) return { fenced: false, existing: 0 };
      throw error;
    }
  }
}

/** A commit's outcome: whether the fence held, and the batch's rows whose key the target already held. */
export interface CommitOutcome {
  readonly fenced: boolean;
  readonly existing: number;
}

/** The checkpoint move of one commit: from where the split stood to where this transaction leaves it. */
export interface CheckpointAdvance {
  readonly runId: string;
  readonly splitId: number;
  readonly from: SplitPoint;
  readonly to: SplitPoint;
  readonly rows: number;
  readonly done: boolean;
  /** target.onExisting's merge of the staged rows, and its count of the rows whose key the target held (MergeStage.merge). */
  readonly merge?: { readonly sql: string; readonly existingSql: string; readonly updateSql?: string };
  /** A statement that fails when the target table is no longer as planned (targetShapeCheck): first in the message. */
  readonly shapeCheck?: string;
}

const DIVISION_BY_ZERO = '22012';

/**
 * What a run id may look like (c2y's own are 20261125-144012-3fa9c1). It becomes a folder name, so one read from the
 * target's table, which anyone with write access there controls, is checked before any path is built from it.
 */
export function isRunId(text: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(text);
}

export interface RunSummary {
  readonly runId: string;
  readonly source: string;
  readonly target: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly splits: number;
  readonly splitsDone: number;
  readonly rowsCommitted: number;
  /** How the run wrote into rows already there (refuse: it started on an empty table). */
  readonly onExisting: OnExisting;
  /** A catch-up pass: its cut-off, and its scan and validate time once it has validated (what a cut-over's freeze would take). */
  readonly catchup: { readonly since: string; readonly passSeconds: number | null } | null;
}

function toRun(row: Record<string, unknown>): RunRecord {
  const runId = String(row['run_id']);
  if (!isRunId(runId)) {
    throw new C2yError('RUN_ID_INVALID', `the run table holds a run id that is not one c2y writes: ${JSON.stringify(runId.slice(0, 120))}`, {
      hint: 'someone changed the run table by hand; delete that row (or start a new run with --restart)',
    });
  }
  return {
    runId, source: String(row['source']), target: String(row['target']),
    status: row['status'] as RunRecord['status'], plan: row['plan'], createdAt: row['created_at'] as Date,
    finishedAt: (row['finished_at'] ?? null) as Date | null,
  };
}

function toCheckpoint(row: Record<string, unknown>): SplitCheckpoint {
  return {
    splitId: Number(row['split_id']),
    lastToken: row['last_token'] === null ? null : BigInt(String(row['last_token'])),
    position: (row['last_position'] ?? null) as StoredPosition | null,
    rows: Number(row['rows_done']),
    existing: Number(row['rows_existing'] ?? 0),
    done: row['done'] === true,
  };
}
