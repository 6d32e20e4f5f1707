import { C2yError } from '../errors/index.js';
import type { CassandraClient } from './cassandra-session.js';

/** Which tables of a keyspace a keyspace-wide command takes: names or patterns (`*` any run, `?` one character). */
export interface TableChoice {
  /** None or empty: every table. */
  readonly tables?: readonly string[] | undefined;
  readonly excludeTables?: readonly string[] | undefined;
}

export interface KeyspaceTables {
  readonly keyspace: string;
  /** The tables taken, in name order. */
  readonly tables: readonly string[];
  /** Tables left out by excludeTables (or not named by tables). */
  readonly excluded: readonly string[];
  /** Materialized views: never migrated (the target builds its own from the base table), listed with the reason. */
  readonly views: ReadonlyArray<{ readonly name: string; readonly baseTable: string; readonly reason: string }>;
  /** Secondary indexes (2i and SAI) of the chosen tables, as Cassandra describes them. */
  readonly indexes: readonly SourceIndex[];
}

export interface SourceIndex {
  readonly table: string;
  readonly name: string;
  /** COMPOSITES (a 2i), KEYS, or CUSTOM (SAI and others: see className). */
  readonly kind: string;
  /** What is indexed: a column name (CQL-quoted when it needs quotes), or values(c), keys(c), entries(c), full(c). */
  readonly target: string;
  readonly className: string | null;
}

/** A text map's value: c2y's sessions decode maps to CqlMap (a Map); the driver's default is a plain object. */
function optionOf(options: unknown, key: string): string | undefined {
  if (options instanceof Map) return (options as Map<string, string>).get(key);
  if (options !== null && typeof options === 'object' && Object.hasOwn(options, key)) return String((options as Record<string, unknown>)[key]);
  return undefined;
}

/** Names in code-point order, as the tables are listed (a quoted "Upper" name before "lower" ones). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A name or a pattern; a name matches exactly (case-sensitive, as CQL's quoted names are). */
export function nameMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`);
  return (name) => regex.test(name);
}

/**
 * The keyspace's tables as `choice` selects them. A keyspace that does not exist lists those that do; a name in
 * `tables` that matches nothing is named (a pattern that matches nothing too: a typo must not shrink a migration).
 */
export async function keyspaceTables(client: CassandraClient, keyspace: string, choice: TableChoice): Promise<KeyspaceTables> {
  const existing = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces');
  const keyspaces = existing.rows.map((row) => String(row['keyspace_name']));
  if (!keyspaces.includes(keyspace)) {
    const user = keyspaces.filter((name) => !name.startsWith('system')).sort();
    throw new C2yError('SOURCE_TABLE_NOT_FOUND', `keyspace "${keyspace}" does not exist in the source cluster`, {
      hint: `set source.keyspace to one of: ${user.join(', ') || '(no user keyspaces)'}`, context: { keyspace },
    });
  }
  const tableRows = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const all = tableRows.rows.map((row) => String(row['table_name'])).sort();
  const viewRows = await client.execute('SELECT view_name, base_table_name FROM system_schema.views WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const views = viewRows.rows.map((row) => ({
    name: String(row['view_name']), baseTable: String(row['base_table_name']),
    reason: 'a materialized view: its rows come from its base table; create an index or a view on the target instead',
  }));
  const wanted = choice.tables ?? [];
  const unmatched = wanted.filter((pattern) => !all.some(nameMatcher(pattern)));
  if (unmatched.length > 0) {
    const isView = unmatched.filter((name) => views.some((view) => view.name === name));
    throw new C2yError('SOURCE_TABLE_NOT_FOUND', `source.tables names ${unmatched.map((name) => `"${name}"`).join(', ')}, which match${unmatched.length === 1 ? 'es' : ''} no table of "${keyspace}"${isView.length > 0 ? ` (${isView.join(', ')}: materialized view, never migrated)` : ''}`, {
      hint: `the keyspace's tables: ${all.join(', ') || '(none)'}`, context: { keyspace },
    });
  }
  const included = wanted.length === 0 ? all : all.filter((name) => wanted.some((pattern) => nameMatcher(pattern)(name)));
  const excludes = (choice.excludeTables ?? []).map(nameMatcher);
  const tables = included.filter((name) => !excludes.some((matches) => matches(name)));
  const indexRows = await client.execute('SELECT table_name, index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const indexes = indexRows.rows.map((row): SourceIndex => {
    const options: unknown = row['options'];
    return { table: String(row['table_name']), name: String(row['index_name']), kind: String(row['kind']), target: optionOf(options, 'target') ?? '', className: optionOf(options, 'class_name') ?? null };
  }).filter((index) => tables.includes(index.table)).sort((a, b) => byCodePoint(a.table, b.table) || byCodePoint(a.name, b.name));
  return { keyspace, tables, excluded: all.filter((name) => !tables.includes(name)), views, indexes };
}
