import { quoteIdent, type SourceTable } from '../schema/index.js';
import type { CassandraClient } from './cassandra-session.js';
import type { KeyCodec } from './partition-position.js';
import { retriedRead } from './retried-read.js';
import { ringRanges, tokenExpression } from './table-size.js';

/** A row (clustering given) or a partition's statics (clustering null) with a cell that expires in `ttlSeconds`. */
export interface ExpiringKey {
  readonly key: readonly string[];
  readonly clustering: readonly string[] | null;
  readonly ttlSeconds: number;
}

/** Token ranges the scan is cut into, read 8 at a time: each range one paged query. */
const TTL_RANGES = 64;

/** The least TTL among cells (a multi-cell collection gives one per element, null where none is set), or null. */
export function leastTtl(values: readonly unknown[]): number | null {
  let least: number | null = null;
  const consider = (value: unknown): void => {
    if (typeof value === 'number' && value > 0 && (least === null || value < least)) least = value;
    else if (Array.isArray(value)) for (const element of value) consider(element);
  };
  for (const value of values) consider(value);
  return least;
}

/** Columns whose cells can carry a TTL: regular and static ones, counters excepted (Cassandra refuses TTLs on them). */
function expiringColumns(table: SourceTable, role: 'regular' | 'static'): string[] {
  return table.columns.filter((column) => column.role === role && !(column.type.kind === 'scalar' && column.type.name === 'counter')).map((column) => column.name);
}

/** Whether any cell of the table could carry a TTL (a key-only or counter table has none to read). */
export function mayExpire(table: SourceTable): boolean {
  return expiringColumns(table, 'regular').length + expiringColumns(table, 'static').length > 0;
}

/** How the scan reads: the consistency and page size of its queries, and when to stop. */
export interface TtlScanRead {
  readonly consistency: number;
  readonly fetchSize: number;
  readonly signal: AbortSignal;
}

/** Token ranges read at once: each is paged, and its next page waits until `onKeys` took the last one. */
const RANGES_AT_ONCE = 8;

/**
 * Every row and partition of the table holding a cell with a TTL, with the least TTL it holds now, read range by
 * range (the keys and `TTL(c)` of each column, not the values), handed to `onKeys` a page at a time: memory holds a
 * page per range in flight. What a bulk copy cannot see: it copies the cells, not when they expire. Not visible to
 * CQL either: the TTL of a row marker alone (an `INSERT … USING TTL` of a row whose other cells are null).
 */
export async function scanTtls(client: CassandraClient, table: SourceTable, codec: KeyCodec, read: TtlScanRead, onKeys: (keys: ExpiringKey[]) => Promise<void>): Promise<void> {
  const regular = expiringColumns(table, 'regular');
  const statics = expiringColumns(table, 'static');
  if (regular.length + statics.length === 0) return;
  const keys = [...table.partitionKeys, ...table.clusteringKeys];
  const ttls = [...regular, ...statics].map((name) => `TTL(${quoteIdent(name)})`);
  // Aliased c0, c1, …: read by position, whatever the columns are named (`values`, `2`).
  const cql = `SELECT ${[...keys.map(quoteIdent), ...ttls].map((select, index) => `${select} AS c${index}`).join(', ')} FROM ${quoteIdent(table.keyspace)}.${quoteIdent(table.name)} WHERE ${tokenExpression(table)} > ? AND ${tokenExpression(table)} <= ?`;
  const ranges = ringRanges(TTL_RANGES);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ranges.length && !read.signal.aborted) {
      const range = ranges[next++] as readonly [bigint, bigint];
      await scanRange(client, cql, range, read, (values) => expiringOf(codec, table, values, regular.length), onKeys);
    }
  };
  await Promise.all(Array.from({ length: RANGES_AT_ONCE }, worker));
}

/** One row's expiring keys: its own (regular cells) and its partition's (static cells: read whole when they expire). */
function expiringOf(codec: KeyCodec, table: SourceTable, values: readonly unknown[], regularCount: number): ExpiringKey[] {
  const keyCount = table.partitionKeys.length + table.clusteringKeys.length;
  const rowTtl = leastTtl(values.slice(keyCount, keyCount + regularCount));
  const staticTtl = leastTtl(values.slice(keyCount + regularCount));
  if (rowTtl === null && staticTtl === null) return [];
  const { key, clustering } = codec.keyHexOf(values);
  const out: ExpiringKey[] = [];
  // A static-only partition's row has null clustering values: only its statics can expire.
  const hasRow = table.clusteringKeys.length === 0 || values[table.partitionKeys.length] !== null;
  if (rowTtl !== null && hasRow) out.push({ key, clustering, ttlSeconds: rowTtl });
  if (staticTtl !== null) out.push({ key, clustering: null, ttlSeconds: staticTtl });
  return out;
}

async function scanRange(client: CassandraClient, cql: string, range: readonly [bigint, bigint], read: TtlScanRead, expiring: (values: readonly unknown[]) => ExpiringKey[], onKeys: (keys: ExpiringKey[]) => Promise<void>): Promise<void> {
  let lastStatic = '';
  let pageState: string | undefined;
  do {
    // A page that timed out is asked again with its paging state: the scan beside a live apply must not end on one.
    const page = await retriedRead(client, cql, range, { consistency: read.consistency, fetchSize: read.fetchSize, ...(pageState ? { pageState } : {}) }, read.signal);
    const found: ExpiringKey[] = [];
    for (const row of page.rows) {
      for (const key of expiring(row.values())) {
        // A partition's statics come with each of its rows (contiguous): one expiry for them.
        if (key.clustering === null) {
          const id = key.key.join(':');
          if (id === lastStatic) continue;
          lastStatic = id;
        }
        found.push(key);
      }
    }
    if (found.length > 0) await onKeys(found);
    pageState = page.pageState ?? undefined;
  } while (pageState && !read.signal.aborted);
}
