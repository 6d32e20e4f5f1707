import { quoteIdent } from '../schema/index.js';
import type { Queryable } from './target-client.js';

/** The settings `c2y tune` may change while a run goes on: its rate limits, and its streams at once (parallelism). */
export const TUNABLE_KEYS = ['source.readsPerSecond', 'target.rowsPerSecond', 'target.bytesPerSecond', 'parallelism'] as const;
export type TunableKey = (typeof TUNABLE_KEYS)[number];
/** A value per key; null lifts the limit. */
export type TunedSettings = Partial<Record<TunableKey, number | null>>;

export interface StoredTuning {
  readonly settings: TunedSettings;
  /** When the settings were last changed, as the server's clock says (microsecond text, compared exactly). */
  readonly changedAt: string;
  /** The last change the run's driver applied; behind changedAt until it has. */
  readonly appliedAt: string | null;
}

/**
 * Settings changed while a run goes on, in the target beside the run's checkpoints: `c2y tune` writes them, the run's
 * driver polls, applies and acknowledges them (so tune can tell a change took effect), and a resumed run starts
 * with them.
 */
export class RunSettingsStore {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${quoteIdent(schema)}.run_settings`;
  }

  async ensureTable(db: Queryable): Promise<void> {
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      run_id text PRIMARY KEY, settings jsonb NOT NULL, changed_at timestamptz NOT NULL, applied_at timestamptz)`);
  }

  /** Merges `settings` into the run's; returns the change's time, which the driver acknowledges. */
  async write(db: Queryable, runId: string, settings: TunedSettings): Promise<string> {
    const result = await db.query<{ changed_at: string }>(
      `INSERT INTO ${this.table} (run_id, settings, changed_at) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (run_id) DO UPDATE SET settings = ${this.table}.settings || EXCLUDED.settings, changed_at = EXCLUDED.changed_at
       RETURNING changed_at::text`,
      [runId, JSON.stringify(settings)],
    );
    return String(result.rows[0]?.changed_at);
  }

  async read(db: Queryable, runId: string): Promise<StoredTuning | undefined> {
    const result = await db.query<{ settings: TunedSettings; changed_at: string; applied_at: string | null }>(
      `SELECT settings, changed_at::text, applied_at::text FROM ${this.table} WHERE run_id = $1`, [runId]);
    const row = result.rows[0];
    return row ? { settings: row.settings, changedAt: row.changed_at, appliedAt: row.applied_at } : undefined;
  }

  /** The driver has applied the change made at `changedAt` (a later change stays unacknowledged). */
  async acknowledge(db: Queryable, runId: string, changedAt: string): Promise<void> {
    await db.query(`UPDATE ${this.table} SET applied_at = changed_at WHERE run_id = $1 AND changed_at = $2::timestamptz`, [runId, changedAt]);
  }
}
