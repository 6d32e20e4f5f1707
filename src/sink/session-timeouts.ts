/**
 * The server-side timeouts that end a c2y session's work from under it, and the statement that lifts them for the
 * session (set_config with is_local false), as pg_dump and pg_restore lift theirs. One statement of constant calls,
 * no catalog read: it must itself finish inside the tightest statement_timeout (reading pg_settings outlasted 1 ms).
 */
const lift = (name: string): string => `set_config('${name}', '0', false)`;

/**
 * A timeout only newer servers know (idle_session_timeout came with PostgreSQL 14, transaction_timeout with 17;
 * YugabyteDB's YSQL is PostgreSQL 11 or 15): set where current_setting knows it, else nothing and no error.
 */
const liftIfKnown = (name: string): string => `CASE WHEN current_setting('${name}', true) IS NOT NULL THEN ${lift(name)} END`;

/**
 * What ends a session that waits: a role or database with idle_session_timeout ends it once idle that long. The run
 * lock's connection is idle for the whole run by design, the driver's and an executor's are between uses; each died
 * unseen and its lock or work went with it (a run that failed in planning, a run lock retaken after a gap).
 */
export const LIFT_IDLE_TIMEOUT_SQL = `SELECT ${liftIfKnown('idle_session_timeout')}`;

/**
 * Everything a long-working session meets: statement, lock, idle-in-transaction, idle-session and transaction
 * timeouts. A role or database that sets them (managed services often do) would cancel a COPY that outlasts them, a
 * split's retry would meet the same, and the run would fail with rows still to move. c2y bounds its own statements:
 * a COPY ends every copyFlushEvery rows, and a connection that stops answering is found by keepalive.
 */
export const LIFT_TIMEOUTS_SQL = `SELECT ${[
  lift('statement_timeout'), lift('lock_timeout'), lift('idle_in_transaction_session_timeout'),
  liftIfKnown('idle_session_timeout'), liftIfKnown('transaction_timeout'),
].join(', ')}`;

/**
 * Which of them a new connection lifts at once: `idle` (the default: c2y may hold any connection open while it
 * waits), `all` (a session that works long: live apply, validate), or `none` (its first message lifts them itself,
 * LIFT_TIMEOUTS_SQL sent beside its own statements: a split's session set-up, a validate part's, saving a round trip).
 */
export type TimeoutLift = 'idle' | 'all' | 'none';

export function liftSqlFor(lift: TimeoutLift): string | undefined {
  return lift === 'idle' ? LIFT_IDLE_TIMEOUT_SQL : lift === 'all' ? LIFT_TIMEOUTS_SQL : undefined;
}
