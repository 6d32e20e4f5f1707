import pg from 'pg';
import { LIFT_TIMEOUTS_SQL } from './session-timeouts.js';
import { SERVER_DESCRIPTION_SQL, serverInfoOf, type ServerInfo } from './target-client.js';

/**
 * What a split sets up on a connection no split has used yet, sent in the same round trip as the split's first
 * BEGIN and checkpoint read (CheckpointStore.beginAndReadCheckpoint's `setup`, committed in a transaction of its
 * own, so a later ROLLBACK on the connection cannot undo it):
 * - the connection's name, `c2y <run> split <id>`, which target-waits and the dashboard find the run's streams by (a
 *   connection opened before the run had a name is named here);
 * - YugabyteDB's COPY commits every 20,000 rows on its own; 0 keeps each batch in the transaction that also advances
 *   the checkpoint, so exactly-once holds there as on PostgreSQL. Set through pg_settings, so a server without the
 *   setting (PostgreSQL, older YugabyteDB releases) changes nothing and is not an error;
 * - the target's timeouts lifted for the session (LIFT_TIMEOUTS_SQL);
 * - which server this is and where the connection landed (the split-started event's serverAddress).
 * Before, these were two or three round trips of their own on each new connection.
 */
export function sessionSetupStatements(applicationName: string): string[] {
  return [
    `SELECT set_config('application_name', ${pg.escapeLiteral(applicationName.slice(0, 63))}, false)`,
    "SELECT set_config(name, '0', false) FROM pg_settings WHERE name = 'yb_default_copy_from_rows_per_transaction'",
    LIFT_TIMEOUTS_SQL,
    SERVER_DESCRIPTION_SQL,
  ];
}

/** The server description among the setup statements' results (the last of them). */
export function serverOfSetup(results: ReadonlyArray<{ readonly rows: ReadonlyArray<Record<string, unknown>> }>): ServerInfo {
  return serverInfoOf(results[results.length - 1]?.rows[0]);
}
