/**
 * EMULATED YugabyteDB, for the test bed only: no YugabyteDB package is reachable here, so a PostgreSQL database is
 * made to present exactly what c2y reads to tell YugabyteDB apart and to find its nodes, and nothing more:
 * - version() answers "…-YB-…" (c2y's detection);
 * - yb_servers() lists the nodes the test chooses, with private and public addresses (c2y's discovery);
 * - the per-session setting yb_default_copy_from_rows_per_transaction exists in pg_settings, and setting it through
 *   set_config() is recorded per backend in c2y_yb_emulation.session_settings, so a test can see every stream set it;
 *   the record is made in the caller's transaction, so one rolled back is gone, as a session setting would be;
 * - requireYbCopySetting() makes every COPY (every insert statement) into a table fail in a session without that
 *   record, standing in for YugabyteDB's own commits inside a COPY, which would break the checkpoint's exactness.
 * Not emulated: YSQL's DDL (HASH/ASC primary keys), yb_hash_code(), tablets, COPY's own intermediate commits, and
 * everything else a YugabyteDB cluster does. Done with a schema that precedes pg_catalog on the database's
 * search_path, so new sessions resolve these names there.
 */

export const YB_EMULATION_SCHEMA = 'c2y_yb_emulation';

export interface EmulatedYbNode {
  readonly host: string;
  readonly port: number;
  readonly publicIp: string | null;
}

interface Sql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}


/** Turns `database` (reached through `db`, a superuser session) into the emulation above; idempotent. */
export async function emulateYugabyte(db: Sql, database: string, nodes: readonly EmulatedYbNode[]): Promise<void> {
  const s = YB_EMULATION_SCHEMA;
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await db.query(`CREATE OR REPLACE FUNCTION ${s}.version() RETURNS text LANGUAGE sql AS $$ SELECT 'PostgreSQL 11.2-YB-2.20.2.0-b0 (EMULATED by the c2y test bed over ' || pg_catalog.version() || ')' $$`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${s}.servers (host text, port bigint, num_connections int DEFAULT 0, node_type text DEFAULT 'primary', cloud text DEFAULT 'emulated', region text DEFAULT 'r1', zone text DEFAULT 'z1', public_ip text)`);
  await db.query(`TRUNCATE ${s}.servers`);
  for (const node of nodes) await db.query(`INSERT INTO ${s}.servers (host, port, public_ip) VALUES ($1, $2, $3)`, [node.host, node.port, node.publicIp]);
  await db.query(`CREATE OR REPLACE FUNCTION ${s}.yb_servers() RETURNS TABLE(host text, port bigint, num_connections int, node_type text, cloud text, region text, zone text, public_ip text) LANGUAGE sql AS $$ SELECT host, port, num_connections, node_type, cloud, region, zone, public_ip FROM ${s}.servers $$`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${s}.session_settings (pid int, name text, value text, at timestamptz DEFAULT now())`);
  // The backend's start tells a reused pid's record from this session's.
  await db.query(`ALTER TABLE ${s}.session_settings ADD COLUMN IF NOT EXISTS backend_start timestamptz`);
  await db.query(`CREATE OR REPLACE VIEW ${s}.pg_settings AS SELECT name, setting FROM pg_catalog.pg_settings UNION ALL SELECT 'yb_default_copy_from_rows_per_transaction', '20000'`);
  await db.query(`CREATE OR REPLACE FUNCTION ${s}.set_config(name text, value text, is_local boolean) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      IF name LIKE 'yb\\_%' THEN
        INSERT INTO ${s}.session_settings (pid, name, value, backend_start) VALUES (pg_backend_pid(), name, value, (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()));
        RETURN value;
      END IF;
      RETURN pg_catalog.set_config(name, value, is_local);
    END $$`);
  await db.query(`ALTER DATABASE ${'"' + database.replace(/"/g, '""') + '"'} SET search_path = ${s}, pg_catalog, public`);
}

/**
 * EMULATED: every insert statement into `table` (a COPY is one) fails unless its session set
 * yb_default_copy_from_rows_per_transaction to 0 in a transaction that committed, or in its own.
 */
export async function requireYbCopySetting(db: Sql, qualifiedTable: string): Promise<void> {
  const s = YB_EMULATION_SCHEMA;
  await db.query(`CREATE OR REPLACE FUNCTION ${s}.require_copy_setting() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM ${s}.session_settings WHERE pid = pg_backend_pid() AND name = 'yb_default_copy_from_rows_per_transaction' AND value = '0'
          AND backend_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())) THEN
        RAISE EXCEPTION 'EMULATED YugabyteDB: a COPY in a session without yb_default_copy_from_rows_per_transaction = 0 would commit on its own';
      END IF;
      RETURN NULL;
    END $$`);
  await db.query(`CREATE OR REPLACE TRIGGER c2y_yb_copy_setting AFTER INSERT ON ${qualifiedTable} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.require_copy_setting()`);
}
