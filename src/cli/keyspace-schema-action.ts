import type { KeyspaceConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import type { TargetDialect } from '../schema/index.js';
import { qualifiedName } from '../schema/index.js';
import { describeServer, openTarget, parseTargetHosts } from '../sink/index.js';
import { openCassandra, sessionOptionsOf } from '../source/index.js';
import { applyKeyspaceSchema, keyspaceSchema, type KeyspaceSchema, type TableRefusal } from '../workflow/index.js';

/**
 * `c2y schema` without a table: every chosen table's DDL, the views and excluded tables listed with why, and every
 * refusal together; --apply creates the tables that can be moved. Any refusal ends the command with its error, after
 * everything has been printed, so the user sees all of them at once.
 */
export async function keyspaceSchemaAction(config: KeyspaceConfig, options: Record<string, unknown>): Promise<void> {
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  const endpoint = parseTargetHosts(config.target.hosts, config.target.port)[0];
  let dialect = options['dialect'] as TargetDialect | undefined;
  const client = (dialect === undefined || options['apply'] === true) && endpoint ? await openTarget(endpoint, config.target, 'c2y schema') : undefined;
  try {
    if (client && dialect === undefined) dialect = (await describeServer(client)).dialect;
    const schema = await keyspaceSchema(cassandra, config, dialect ?? 'postgres');
    const applied = options['apply'] === true && client ? await applyKeyspaceSchema(client, schema) : undefined;
    const refusals = [
      ...schema.tables.filter((t) => t.refusal !== null).map((t) => ({ table: t.name, ...(t.refusal as TableRefusal) })),
      ...(applied ?? []).filter((a) => a.refusal !== null).map((a) => ({ table: a.name, ...(a.refusal as TableRefusal) })),
    ];
    if (options['json'] === true) process.stdout.write(JSON.stringify(jsonOf(schema, applied, refusals), null, 2) + '\n');
    else process.stdout.write(textOf(schema, applied));
    if (refusals.length > 0) {
      throw new C2yError(refusals.length === 1 && refusals[0]?.code === 'TARGET_TABLE_MISMATCH' ? 'TARGET_TABLE_MISMATCH' : 'CONFIG_INVALID', `${refusals.length} table(s) of ${schema.keyspace} cannot be moved as they are: ${refusals.map((r) => `${r.table} (${r.code}: ${r.message})`).join('; ')}`, {
        hint: 'fix each one as its line says, or leave it out with --exclude-tables',
        context: { keyspace: schema.keyspace, refused: refusals.length },
      });
    }
  } finally {
    await cassandra.shutdown();
    await client?.end();
  }
}

type Applied = Awaited<ReturnType<typeof applyKeyspaceSchema>>;

function jsonOf(schema: KeyspaceSchema, applied: Applied | undefined, refusals: ReadonlyArray<{ table: string } & TableRefusal>): unknown {
  return {
    keyspace: schema.keyspace, dialect: schema.dialect,
    tables: schema.tables.map((t) => ({ name: t.name, target: qualifiedName(t.target), ddl: t.ddl, created: applied?.find((a) => a.name === t.name)?.created ?? null })),
    excluded: schema.excluded, views: schema.views, indexes: schema.indexes, refusals,
  };
}

function textOf(schema: KeyspaceSchema, applied: Applied | undefined): string {
  const lines: string[] = [`-- keyspace ${schema.keyspace}: ${schema.tables.length} table(s) → ${schema.dialect}`];
  for (const table of schema.tables) {
    const done = applied?.find((a) => a.name === table.name);
    if (table.ddl === null) lines.push(`-- ${schema.keyspace}.${table.name}: refused: ${table.refusal?.message ?? ''}${table.refusal?.hint ? ` (${table.refusal.hint})` : ''}`);
    else lines.push(`-- ${schema.keyspace}.${table.name} → ${qualifiedName(table.target)}`, `${table.ddl};`);
    if (done) lines.push(done.refusal ? `-- not created: ${done.refusal.message}` : done.created ? '-- created' : '-- the table already exists and fits the source');
  }
  for (const index of schema.indexes) {
    // Commented out: piped into psql before the data, an index would slow every COPY.
    lines.push(index.ddl ? `-- index ${index.name} on ${index.table} (${index.source}): ${index.reason}:\n--   ${index.ddl};` : `-- index ${index.name} on ${index.table} (${index.source}): not created: ${index.reason}`);
  }
  for (const view of schema.views) lines.push(`-- skipped ${schema.keyspace}.${view.name} (view of ${view.baseTable}): ${view.reason}`);
  if (schema.excluded.length > 0) lines.push(`-- left out: ${schema.excluded.join(', ')}`);
  return lines.join('\n') + '\n';
}
