/**
 * EMULATED YugabyteDB, for the test bed only: no YugabyteDB package is reachable here, so a PostgreSQL database is
 * made to present exactly what c2y reads to tell YugabyteDB apart and to find its nodes, and nothing more:
 * - version() answers "…-YB-…" (c2y's detection);
 * - yb_servers() lists the nodes the test chooses, with private and public addresses (c2y's discovery);
 * - the per-session setting yb_default_copy_from_rows_per_transaction exists in pg_settings, and setting it through
 *   set_config() is recorded per backend in c2y_yb_emulation.session_settings, so a test can see every stream set it.
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
  await db.query(`CREATE OR REPLACE VIEW ${s}.pg_settings AS SELECT name, setting FROM pg_catalog.pg_settings UNION ALL SELECT 'yb_default_copy_from_rows_per_transaction', '20000'`);
  await db.query(`CREATE OR REPLACE FUNCTION ${s}.set_config(name text, value text, is_local boolean) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      IF name LIKE 'yb\\_%' THEN
        INSERT INTO ${s}.session_settings (pid, name, value) VALUES (pg_backend_pid(), name, value);
        RETURN value;
      END IF;
      RETURN pg_catalog.set_config(name, value, is_local);
    END $$`);
  await db.query(`ALTER DATABASE ${'"' + database.replace(/"/g, '""') + '"'} SET search_path = ${s}, pg_catalog, public`);
}
