// Before pg: see node-navigator.ts.
import './node-navigator.js';
import pg from 'pg';
import { C2yError } from '../errors/index.js';
import { quoteIdent } from '../schema/index.js';
import type { BundledQuery } from './one-message.js';
import type { Queryable } from './target-client.js';

/** A touched key as the store holds it: partition key and clustering (null: the whole partition), hex components. */
export interface TouchedRow {
  readonly key: string[];
  readonly clustering: string[] | null;
}

/** A touched key's row id: its hex components, and its clustering's (or * for a whole partition). */
function keyId(key: { readonly key: readonly string[]; readonly clustering?: readonly string[] | undefined }): string {
  return `${key.key.join(':')}/${key.clustering?.join(':') ?? '*'}`;
}

/** The target's clock in milliseconds. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** Where one node's change log is applied up to, as committed with the changes it covers. */
export interface AppliedPosition {
  readonly node: string;
  readonly segment: number;
  readonly position: number;
  /** Changes applied from this node in all. */
  readonly changes: number;
  /** The agent's time (ms) at a point where every change it had read was applied: the lag is measured from it. */
  readonly appliedThrough: number | null;
  /** When the apply last committed for this node (target's clock): a stream that stopped is told by it. */
  readonly updatedAt: Date;
  /** The bulk run whose capture this is: its first page was read after these positions were recorded. */
  readonly runId: string;
  /** The node's commit-log sync period: a write reaches its log at most this long after it was acknowledged. */
  readonly syncMs: number | null;
  /** The applying machine's clock minus the node's, as the apply last measured it (ms). */
  readonly clockSkewMs: number | null;
}

/** A key read again when a TTL runs out, so the target drops what Cassandra expires (a key as hex components). */
export interface StoredExpiry {
  /** Set once stored. */
  readonly id?: string;
  readonly key: readonly string[];
  readonly clustering: readonly string[] | null;
  readonly at: number;
}

/**
 * The live apply's state in the target, written in the transaction of the changes it covers: each node's applied
 * log position (a replay after a crash starts there: nothing lost; what it re-applies is read again from the source,
 * so nothing is applied twice in effect), and the keys to read again when their TTLs run out.
 */
export class CdcStore {
  private readonly positions: string;
  private readonly expiries: string;
  /** Every key the apply wrote since the copy began, with when: what a cut-over checks instead of the whole table. */
  private readonly touched: string;
  /** The streams whose copied TTLs were read (once per bulk run): the scan is not done again on --resume. */
  private readonly ttlScans: string;

  constructor(schema: string) {
    this.positions = `${quoteIdent(schema)}.cdc_positions`;
    this.expiries = `${quoteIdent(schema)}.cdc_expiries`;
    this.touched = `${quoteIdent(schema)}.cdc_touched`;
    this.ttlScans = `${quoteIdent(schema)}.cdc_ttl_scans`;
  }

  async ensureTables(db: Queryable, schema: string): Promise<void> {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.positions} (
      stream text NOT NULL, node text NOT NULL, segment bigint NOT NULL, position integer NOT NULL, changes bigint NOT NULL DEFAULT 0,
      applied_through bigint, run_id text NOT NULL, sync_ms integer, clock_skew_ms integer, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (stream, node))`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.expiries} (
      id bigserial PRIMARY KEY, stream text NOT NULL, key text[] NOT NULL, clustering text[], due_at bigint NOT NULL)`);
    await db.query(`CREATE INDEX IF NOT EXISTS cdc_expiries_due ON ${this.expiries} (stream, due_at)`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.touched} (
      stream text NOT NULL, key_id text NOT NULL, key text[] NOT NULL, clustering text[], touched_at bigint NOT NULL,
      pending boolean NOT NULL DEFAULT false, PRIMARY KEY (stream, key_id))`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.ttlScans} (
      stream text PRIMARY KEY, run_id text NOT NULL, expiring bigint NOT NULL, scanned_at timestamptz NOT NULL DEFAULT now())`);
  }

  /** Whether the TTLs the run's bulk copy wrote were read (every expiring row recorded). */
  async ttlsScanned(db: Queryable, stream: string, runId: string): Promise<boolean> {
    const result = await db.query(`SELECT 1 FROM ${this.ttlScans} WHERE stream = $1 AND run_id = $2`, [stream, runId]);
    return (result.rowCount ?? 0) > 0;
  }

  async recordTtlScan(db: Queryable, stream: string, runId: string, expiring: number): Promise<void> {
    await db.query(`INSERT INTO ${this.ttlScans} (stream, run_id, expiring) VALUES ($1, $2, $3)
      ON CONFLICT (stream) DO UPDATE SET run_id = EXCLUDED.run_id, expiring = EXCLUDED.expiring, scanned_at = now()`, [stream, runId, expiring]);
  }

  async readPositions(db: Queryable, stream: string): Promise<AppliedPosition[]> {
    const result = await db.query<{ node: string; segment: string; position: number; changes: string; applied_through: string | null; updated_at: Date; run_id: string; sync_ms: number | null; clock_skew_ms: number | null }>(
      `SELECT node, segment, position, changes, applied_through, updated_at, run_id, sync_ms, clock_skew_ms FROM ${this.positions} WHERE stream = $1 ORDER BY node`, [stream]);
    return result.rows.map((row) => ({
      node: row.node, segment: Number(row.segment), position: row.position, changes: Number(row.changes),
      appliedThrough: row.applied_through === null ? null : Number(row.applied_through), updatedAt: row.updated_at, runId: row.run_id, syncMs: row.sync_ms, clockSkewMs: row.clock_skew_ms,
    }));
  }

  /**
   * Whether the schema holds capture positions at all (a live run made them): only then may a live apply have written
   * on top of a bulk run. A statement that can travel with others, and never fails for a table that is not there.
   */
  positionsKeptQuery(): BundledQuery<boolean> {
    return { sql: `SELECT to_regclass(${pg.escapeLiteral(this.positions)}) IS NOT NULL AS kept`, read: (rows) => rows[0]?.['kept'] === true };
  }

  /**
   * Whether a live apply has written to the target on top of this bulk run: the run's checkpoints then no longer
   * count the table's rows (a table without the c2y tables, or an older c2y's, has had none).
   */
  async appliedOnRun(db: Queryable, runId: string): Promise<boolean> {
    const result = await db.query(`SELECT 1 FROM ${this.positions} WHERE run_id = $1 AND applied_through IS NOT NULL LIMIT 1`, [runId]).catch(() => ({ rows: [] }));
    return result.rows.length > 0;
  }

  /** For each node, the lowest segment any stream recorded here still reads: the segments before it are applied by all. */
  async appliedFloors(db: Queryable): Promise<Map<string, number>> {
    const result = await db.query<{ node: string; segment: string }>(`SELECT node, min(segment) AS segment FROM ${this.positions} GROUP BY node`);
    return new Map(result.rows.map((row) => [row.node, Number(row.segment)]));
  }

  /** Records where a run's capture starts on a node (the stream's old positions are forgotten first). */
  async recordStart(db: Queryable, stream: string, runId: string, node: string, at: { segment: number; position: number }): Promise<void> {
    await db.query(`INSERT INTO ${this.positions} (stream, node, segment, position, run_id) VALUES ($1, $2, $3, $4, $5)`, [stream, node, at.segment, at.position, runId]);
  }

  /** Forgets a stream (migrate --live --restart: capture starts again with the new bulk copy). */
  async forget(db: Queryable, stream: string): Promise<void> {
    await db.query(`DELETE FROM ${this.positions} WHERE stream = $1`, [stream]);
    await db.query(`DELETE FROM ${this.expiries} WHERE stream = $1`, [stream]);
    await db.query(`DELETE FROM ${this.touched} WHERE stream = $1`, [stream]);
    await db.query(`DELETE FROM ${this.ttlScans} WHERE stream = $1`, [stream]);
  }

  /** Advances a node's position, inside the transaction that applied its changes up to it. */
  /**
   * Advances a node's position, inside the transaction that applied its changes up to it. A row that is gone (a new
   * run forgot the stream meanwhile) fails the transaction: the changes are not applied on top of a new bulk copy.
   */
  async advance(db: Queryable, stream: string, update: { node: string; segment: number; position: number; changes: number; appliedThrough: number | null; syncMs: number | null; clockSkewMs: number | null }): Promise<void> {
    const result = await db.query(
      `UPDATE ${this.positions} SET segment = $3, position = $4, changes = changes + $5, applied_through = COALESCE($6, applied_through),
         sync_ms = COALESCE($7, sync_ms), clock_skew_ms = COALESCE($8, clock_skew_ms), updated_at = now() WHERE stream = $1 AND node = $2`,
      [stream, update.node, update.segment, update.position, update.changes, update.appliedThrough, update.syncMs, update.clockSkewMs === null ? null : Math.round(update.clockSkewMs)],
    );
    if (result.rowCount !== 1) throw new C2yError('RUN_NOT_FOUND', `the capture of ${stream} on ${update.node} is no longer recorded (a new run started meanwhile)`, { hint: 'apply with the run that recorded it: c2y migrate --live --resume' });
  }

  async addExpiries(db: Queryable, stream: string, expiries: readonly StoredExpiry[]): Promise<void> {
    if (expiries.length === 0) return;
    // Keys travel as JSON: text[][] of ragged arrays is not a thing in PostgreSQL.
    await db.query(
      `INSERT INTO ${this.expiries} (stream, key, clustering, due_at)
       SELECT $1, ARRAY(SELECT jsonb_array_elements_text(e->'k')), CASE WHEN e->'c' = 'null' THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(e->'c')) END, (e->>'at')::bigint
       FROM jsonb_array_elements($2::jsonb) AS e`,
      [stream, JSON.stringify(expiries.map((expiry) => ({ k: expiry.key, c: expiry.clustering, at: expiry.at })))],
    );
  }

  /** Expiries due by `now` (Unix seconds), oldest first: their keys are read in the next batch, which drops them. */
  async dueExpiries(db: Queryable, stream: string, now: number, limit: number): Promise<StoredExpiry[]> {
    const result = await db.query<{ id: string; key: string[]; clustering: string[] | null; due_at: string }>(
      `SELECT id, key, clustering, due_at FROM ${this.expiries} WHERE stream = $1 AND due_at <= $2 ORDER BY due_at LIMIT $3`, [stream, now, limit]);
    return result.rows.map((row) => ({ id: String(row.id), key: row.key, clustering: row.clustering, at: Number(row.due_at) }));
  }

  /** Drops expiries whose keys were read again, in that batch's transaction (a crash before it: they are read again). */
  async dropExpiries(db: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await db.query(`DELETE FROM ${this.expiries} WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /**
   * Notes the keys a batch wrote (or, `pending`, the keys changed while the bulk copy runs: written once it is done),
   * in its transaction, at the target's clock (the one a cut-over reads too, wherever the two run); a key touched
   * again takes the later time.
   */
  async addTouched(db: Queryable, stream: string, keys: ReadonlyArray<{ readonly key: readonly string[]; readonly clustering?: readonly string[] | undefined }>, pending = false): Promise<void> {
    if (keys.length === 0) return;
    await db.query(
      `INSERT INTO ${this.touched} (stream, key_id, key, clustering, touched_at, pending)
       SELECT $1, e->>'id', ARRAY(SELECT jsonb_array_elements_text(e->'k')), CASE WHEN e->'c' = 'null' THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(e->'c')) END, ${NOW_MS}, $3
       FROM jsonb_array_elements($2::jsonb) AS e ON CONFLICT (stream, key_id) DO UPDATE SET touched_at = EXCLUDED.touched_at, pending = EXCLUDED.pending`,
      [stream, JSON.stringify(keys.map((key) => ({ id: keyId(key), k: key.key, c: key.clustering ?? null }))), pending],
    );
  }

  /** Keys changed while the bulk copy ran and not yet written, a batch of them. */
  async pendingKeys(db: Queryable, stream: string, limit: number): Promise<TouchedRow[]> {
    const result = await db.query<TouchedRow>(`SELECT key, clustering FROM ${this.touched} WHERE stream = $1 AND pending LIMIT $2`, [stream, limit]);
    return result.rows;
  }

  /** The target's clock (ms since the epoch), as addTouched records it. */
  async nowMs(db: Queryable): Promise<number> {
    const result = await db.query<{ now: string }>(`SELECT ${NOW_MS} AS now`);
    return Number(result.rows[0]?.now);
  }

  /**
   * The keys written at or after `since` (ms), a page of `pageSize` at a time in key order: a cut-over checks these
   * against the source, and a busy table's keys since the copy began need not fit in memory at once.
   */
  async *touchedSince(db: Queryable, stream: string, since: number, pageSize: number): AsyncGenerator<TouchedRow[]> {
    let after: string | null = null;
    for (;;) {
      const result: pg.QueryResult<TouchedRow & { key_id: string }> = await db.query<TouchedRow & { key_id: string }>(
        `SELECT key_id, key, clustering FROM ${this.touched} WHERE stream = $1 AND touched_at >= $2 AND ($3::text IS NULL OR key_id > $3) ORDER BY key_id LIMIT $4`,
        [stream, since, after, pageSize],
      );
      if (result.rows.length > 0) yield result.rows.map(({ key, clustering }) => ({ key, clustering }));
      if (result.rows.length < pageSize) return;
      after = (result.rows[result.rows.length - 1] as { key_id: string }).key_id;
    }
  }

  /** Expiries still waiting: shown beside the lag, so a user knows why keys will be read again later. */
  async pendingExpiries(db: Queryable, stream: string): Promise<number> {
    const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.expiries} WHERE stream = $1`, [stream]);
    return Number(result.rows[0]?.n ?? 0);
  }
}
