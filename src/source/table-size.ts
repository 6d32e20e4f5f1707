import { MAX_TOKEN, MIN_TOKEN } from '../plan/index.js';
import { quoteIdent, type SourceTable } from '../schema/index.js';
import type { CassandraClient } from './cassandra-session.js';
import { retriedRead } from './retried-read.js';

export interface TableSizeEstimate {
  /** Bytes per Cassandra's own estimates (system.size_estimates), when the nodes have recorded any. */
  readonly estimatesBytes: number | undefined;
  /** How the row count was found. */
  readonly rowsMethod: 'exact count' | 'sampled';
  readonly rows: number;
  /** A few rows for measuring the encoded row size. */
  readonly sampleRows: ReadonlyArray<Record<string, unknown>>;
  readonly detail: string;
}

const SAMPLE_SLICES = 16;
/** Each sampled slice is 1/4096 of the ring: small enough to count quickly on a billion-row table. */
const SLICE_FRACTION = 4096n;
/** Below this many sampled rows the estimate is noise and an exact count is cheap. */
const EXACT_COUNT_BELOW = 2000;

export function tokenExpression(table: SourceTable): string {
  return `token(${table.partitionKeys.map(quoteIdent).join(', ')})`;
}

/**
 * The scan's select list: the token (unless the reader hashes it itself, see clientTokenOf), then every column,
 * aliased c0, c1, … so a row is read by position whatever the columns are called (`values`, `2`, `__proto__`,
 * `constructor` would otherwise clash with the driver's Row).
 */
export function scanSelectList(table: SourceTable, tokenCell = true): string {
  const columns = table.columns.map((column, index) => `${column.select ?? quoteIdent(column.name)} AS c${index}`);
  return (tokenCell ? [`${tokenExpression(table)} AS t`, ...columns] : columns).join(', ');
}

async function estimatesBytes(client: CassandraClient, table: SourceTable): Promise<{ bytes: number; covered: number } | undefined> {
  const span = Number(MAX_TOKEN - MIN_TOKEN);
  // Every node at once: over a WAN each is a round trip, and the plan waits for all of them.
  const perHost = await Promise.all([...client.hosts.values()].filter((host) => host.isUp()).map((host) => client.execute(
    'SELECT range_start, range_end, mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?',
    [table.keyspace, table.name], { host, prepare: true },
  ).catch(() => undefined)));
  let bytes = 0;
  let covered = 0;
  for (const row of perHost.flatMap((result) => result?.rows ?? [])) {
    const start = BigInt(String(row['range_start']));
    const end = BigInt(String(row['range_end']));
    const width = start < end ? Number(end - start) : span - Number(start - end);
    bytes += Number(row['mean_partition_size']) * Number(row['partitions_count']);
    covered += width / span;
  }
  return bytes > 0 && covered > 0 ? { bytes: bytes / Math.min(covered, 1), covered } : undefined;
}

/**
 * Rows by sampling 16 slices of the ring (exact when small), bytes from Cassandra's estimates when present. `signal`
 * stops it asking more (retries, the exact count's next ranges) once no one waits for the answer.
 */
export async function estimateTableSize(client: CassandraClient, table: SourceTable, consistency: number, signal?: AbortSignal): Promise<TableSizeEstimate> {
  const token = tokenExpression(table);
  const from = `${quoteIdent(table.keyspace)}.${quoteIdent(table.name)}`;
  const width = (MAX_TOKEN - MIN_TOKEN) / SLICE_FRACTION;
  // The slices, the nodes' estimates and the sample all at once: over a WAN each was a round trip the plan waited
  // for in turn (16 slices alone were 1.6 s at 100 ms), and each is small.
  const slices = Array.from({ length: SAMPLE_SLICES }, (_, slice) => MIN_TOKEN + ((MAX_TOKEN - MIN_TOKEN) / BigInt(SAMPLE_SLICES)) * BigInt(slice));
  const counting = Promise.all(slices.map((start) => retriedRead(client, `SELECT COUNT(*) AS n FROM ${from} WHERE ${token} > ? AND ${token} <= ?`, [start, start + width], { consistency }, signal)));
  const sampling = retriedRead(client, `SELECT * FROM ${from} LIMIT 200`, [], { consistency }, signal);
  const estimating = estimatesBytes(client, table);
  // Awaited together: a failed count must not leave the sample's failure unheard (an unhandled rejection).
  const [counts, sample, estimates] = await Promise.all([counting, sampling, estimating]);
  const sampled = counts.reduce((sum, result) => sum + Number(result.first()?.['n'] ?? 0), 0);
  let rows = Math.round((sampled * Number(SLICE_FRACTION)) / SAMPLE_SLICES);
  let rowsMethod: TableSizeEstimate['rowsMethod'] = 'sampled';
  if (sampled < EXACT_COUNT_BELOW) {
    // Range by range: one count(*) of up to ~500K rows outlasts a busy node's range timeout (a run failed to start).
    rows = await countRows(client, table, consistency, signal);
    rowsMethod = 'exact count';
  }
  const sampleRows = sample.rows as unknown as Array<Record<string, unknown>>;
  const detail = `${rowsMethod === 'sampled' ? `~${rows} rows (${sampled} in ${SAMPLE_SLICES} slices of 1/${SLICE_FRACTION} ring)` : `${rows} rows (exact count)`}`
    + (estimates ? `, ${(estimates.bytes / 1024 / 1024).toFixed(1)} MiB per system.size_estimates` : ', no system.size_estimates yet');
  return { estimatesBytes: estimates?.bytes, rowsMethod, rows, sampleRows, detail };
}

/** Token ranges a full count is cut into: each one query, well inside Cassandra's range request timeout. */
const COUNT_RANGES = 64;

/** The whole ring cut into `count` equal token ranges (start exclusive, end inclusive), for full scans by range. */
export function ringRanges(count: number): Array<readonly [bigint, bigint]> {
  const span = (MAX_TOKEN - MIN_TOKEN) / BigInt(count);
  return Array.from({ length: count }, (_, i) => [MIN_TOKEN + span * BigInt(i), i === count - 1 ? MAX_TOKEN : MIN_TOKEN + span * BigInt(i + 1)] as const);
}

/** Counts one token range: count(*), or the rows with a first clustering value (see countRows). */
async function countRange(client: CassandraClient, cql: string, byClustering: boolean, range: readonly [bigint, bigint], consistency: number, signal?: AbortSignal): Promise<number> {
  if (!byClustering) return Number((await retriedRead(client, cql, range, { consistency }, signal)).first()?.['n'] ?? 0);
  let rows = 0;
  let pageState: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = await retriedRead(client, cql, range, { consistency, fetchSize: 5000, ...(pageState ? { pageState } : {}) }, signal);
    for (const row of page.rows) if (row['c'] !== null && row['c'] !== undefined) rows++;
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return rows;
}

/**
 * The table's rows, counted exactly, range by range (8 at a time) over the ring. A partition with only static cells
 * is a row to CQL's count(*) but none to a target, so a table with statics counts the rows that have a first
 * clustering value instead (a read of that one column).
 */
export async function countRows(client: CassandraClient, table: SourceTable, consistency: number, signal?: AbortSignal): Promise<number> {
  const token = tokenExpression(table);
  const from = `${quoteIdent(table.keyspace)}.${quoteIdent(table.name)}`;
  const firstClustering = table.clusteringKeys[0];
  const byClustering = firstClustering !== undefined && table.columns.some((column) => column.role === 'static');
  const cql = `SELECT ${byClustering ? `${quoteIdent(firstClustering)} AS c` : 'count(*) AS n'} FROM ${from} WHERE ${token} > ? AND ${token} <= ?`;
  const ranges = ringRanges(COUNT_RANGES);
  let total = 0;
  for (let at = 0; at < ranges.length; at += 8) {
    signal?.throwIfAborted();
    total += (await Promise.all(ranges.slice(at, at + 8).map((range) => countRange(client, cql, byClustering, range, consistency, signal)))).reduce((a, b) => a + b, 0);
  }
  return total;
}
