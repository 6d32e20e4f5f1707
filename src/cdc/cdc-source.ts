import { C2yError } from '../errors/index.js';
import { quoteIdent as quoted } from '../schema/index.js';
import type { CassandraClient } from '../source/index.js';

/**
 * Checks that every table has cdc = true; with `enable`, turns it on where it is off, and makes Cassandra drop the
 * table's prepared statements (see refreshPrepared). Without it, a table without CDC is refused, naming what to run:
 * its changes would never reach cdc_raw.
 */
export async function ensureCdcEnabled(client: CassandraClient, keyspace: string, tables: readonly string[], enable: boolean): Promise<string[]> {
  const enabled: string[] = [];
  for (const table of tables) {
    const result = await client.execute('SELECT cdc, gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table], { prepare: true });
    const row = result.first();
    if (!row) throw new C2yError('SOURCE_TABLE_NOT_FOUND', `table ${keyspace}.${table} does not exist`, { hint: 'check source.keyspace and source.table' });
    if (!enable) {
      if (row['cdc'] === true) continue;
      throw new C2yError('CDC_NOT_ENABLED', `table ${keyspace}.${table} does not have CDC enabled, so its changes never reach cdc_raw`, {
        hint: `run ALTER TABLE ${quoted(keyspace)}.${quoted(table)} WITH cdc = true (and cdc_enabled: true in every node's cassandra.yaml), then make sure the application's statements are prepared again (see the README); or pass --enable-cdc, which does both`,
      });
    }
    await refreshPrepared(client, `${quoted(keyspace)}.${quoted(table)}`, Number(row['gc_grace_seconds']));
    if (row['cdc'] !== true) enabled.push(`${keyspace}.${table}`);
  }
  return enabled;
}

/**
 * Turns CDC on and makes every node drop the table's prepared statements. A statement keeps the table's settings of
 * when it was prepared, and Cassandra flags a write for CDC by them: after a bare ALTER … WITH cdc = true, the
 * application's statements prepared before go on writing unflagged, and a segment that holds only such writes never
 * reaches cdc_raw (its changes would be lost to the capture). Cassandra drops a table's prepared statements on a change
 * of gc_grace_seconds (not of cdc): so cdc goes on with gc_grace_seconds one second longer, then gc_grace_seconds goes
 * back; drivers prepare their statements again on their next use, with cdc on.
 */
async function refreshPrepared(client: CassandraClient, table: string, gcGraceSeconds: number): Promise<void> {
  await client.execute(`ALTER TABLE ${table} WITH cdc = true AND gc_grace_seconds = ${gcGraceSeconds + 1}`);
  await client.execute(`ALTER TABLE ${table} WITH gc_grace_seconds = ${gcGraceSeconds}`);
}

/**
 * The CQL the agent loads to read the tables' mutations offline: the keyspace's types and the tables' own statements,
 * WITH INTERNALS so each table keeps the cluster's id (mutations name tables by id) and its dropped columns.
 */
export async function agentSchema(client: CassandraClient, keyspace: string, tables: readonly string[]): Promise<string> {
  const result = await client.execute(`DESCRIBE KEYSPACE ${quoted(keyspace)} WITH INTERNALS`);
  // DESCRIBE names a case-sensitive table in its CQL form ("Orders"): compared unquoted.
  const unquoted = (name: string): string => (/^".*"$/s.test(name) ? name.slice(1, -1).replace(/""/g, '"') : name);
  const statements = result.rows
    .filter((row) => row['type'] === 'type' || (row['type'] === 'table' && tables.includes(unquoted(String(row['name'])))))
    .map((row) => String(row['create_statement']).trim().replace(/;$/, ''));
  return statements.map((statement) => `${statement};\n`).join('');
}

/**
 * The node's Cassandra release must be the one whose jars compiled the agent: a commit log is read with the classes
 * of the version that wrote it.
 */
export async function checkAgentVersion(client: CassandraClient, jarVersion: string, libDir: string): Promise<string> {
  const row = (await client.execute('SELECT release_version FROM system.local')).first();
  const release = String(row?.['release_version'] ?? '');
  if (release !== jarVersion) {
    throw new C2yError('CDC_VERSION_MISMATCH', `the node runs Cassandra ${release}, but the jars in ${libDir} are ${jarVersion}`, {
      hint: 'run the agent on the node with that node\'s own lib folder (--lib or --node-dir): a commit log is read with the classes of the Cassandra that wrote it',
    });
  }
  return release;
}
