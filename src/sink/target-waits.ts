import type { Queryable } from './target-client.js';

/** One sample of a run's backends on the node `db` is connected to, grouped by what each was doing. */
export interface TargetWaitSample {
  /** host:port as the server sees itself (`local socket` over a Unix socket), whether or not the run had a backend there. */
  readonly node: string;
  readonly waits: ReadonlyArray<{ readonly wait: string; readonly backends: number }>;
}

/**
 * A run's streams name their connections `c2y <runId> …` (a keyspace run's tables `c2y <runId>-tNNN …`), matched
 * by prefix with starts_with, not LIKE: nothing in a run id is then a pattern. An active backend is on CPU when it
 * waits on nothing, else `<wait_event_type>:<wait_event>`; any other state (idle in transaction: waiting for c2y's
 * next statement) is named as such. The node comes from a one-row side of a LEFT JOIN, so a sample that finds no
 * backend of the run (before its streams connect, after they end) still says which node it looked at.
 */
const SAMPLE_SQL = `WITH waits AS (
  SELECT CASE WHEN state IS DISTINCT FROM 'active' THEN coalesce(state, 'unknown')
      WHEN wait_event_type IS NULL THEN 'CPU' ELSE wait_event_type || ':' || coalesce(wait_event, '?') END AS wait,
    count(*)::int AS backends
  FROM pg_stat_activity
  WHERE pid <> pg_backend_pid() AND (starts_with(application_name, $1) OR starts_with(application_name, $2))
  GROUP BY 1)
SELECT coalesce(host(inet_server_addr()) || ':' || inet_server_port(), 'local socket') AS node, waits.wait, waits.backends
FROM (VALUES (1)) AS one LEFT JOIN waits ON true`;

export async function sampleTargetWaits(db: Queryable, runId: string): Promise<TargetWaitSample> {
  const result = await db.query<{ wait: string | null; backends: number | null; node: string }>(SAMPLE_SQL, [`c2y ${runId} `, `c2y ${runId}-t`]);
  const node = String(result.rows[0]?.node ?? 'local socket');
  const waits = result.rows.filter((row) => row.wait !== null).map((row) => ({ wait: String(row.wait), backends: Number(row.backends) }));
  return { node, waits };
}
