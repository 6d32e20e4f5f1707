import cassandra from 'cassandra-driver';
import { C2yError, messageOf } from '../errors/index.js';
import type { ReplicatedRange } from '../plan/index.js';
import { quoteIdent, type SourceTable } from '../schema/index.js';
import { dialAddress, type CassandraClient } from './cassandra-session.js';
import { tokenExpression } from './table-size.js';

/** One row as positional values: [token, ...columns in SourceTable order]. */
export type ScannedRow = unknown[];

export interface RangeScanOptions {
  readonly client: CassandraClient;
  readonly table: SourceTable;
  /** Ranges to read in order, already cut to start after the checkpoint. */
  readonly ranges: readonly ReplicatedRange[];
  readonly fetchSize: number;
  readonly consistency: number;
  /** Spreads splits over the replicas of a range. */
  readonly replicaOffset: number;
  /** Replicas are named by their own addresses; this process may dial them elsewhere (source.addressMap). */
  readonly addressMap?: Readonly<Record<string, string>>;
  /** Attempts per page before the scan fails (the task is then retried from its checkpoint). */
  readonly pageAttempts?: number;
}

export function scanQuery(table: SourceTable): string {
  const token = tokenExpression(table);
  const columns = table.columns.map((c) => c.select ?? quoteIdent(c.name)).join(', ');
  return `SELECT ${token}, ${columns} FROM ${quoteIdent(table.keyspace)}.${quoteIdent(table.name)} WHERE ${token} > ? AND ${token} <= ?`;
}

type Page = { readonly rows: ScannedRow[]; readonly pageState: string | undefined };

/**
 * Pages through the ranges in token order. The next page is requested before the current one is handed out,
 * so reading overlaps encoding and writing; at most two pages are held here.
 */
export async function* scanRanges(options: RangeScanOptions): AsyncGenerator<ScannedRow[], void, undefined> {
  const query = scanQuery(options.table);
  const attempts = options.pageAttempts ?? 4;

  const hostFor = (range: ReplicatedRange, attempt: number): cassandra.Host | undefined => {
    const up = range.replicas.map((address) => options.client.hosts.get(dialAddress(options.addressMap, address))).filter((host): host is cassandra.Host => host?.isUp() === true);
    return up.length === 0 ? undefined : up[(options.replicaOffset + attempt) % up.length];
  };

  const fetchPage = async (range: ReplicatedRange, pageState: string | undefined): Promise<Page> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const host = hostFor(range, attempt);
      try {
        const result = await options.client.execute(query, [range.start, range.end], {
          prepare: true, fetchSize: options.fetchSize, consistency: options.consistency, isIdempotent: true,
          ...(pageState ? { pageState } : {}), ...(host ? { host } : {}),
        });
        const rows = result.rows.map((row) => row.values());
        return { rows, pageState: result.pageState ?? undefined };
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
    throw new C2yError('SOURCE_READ_FAILED', `reading tokens ]${range.start}, ${range.end}] from replicas ${range.replicas.join(', ') || '(unknown)'} failed ${attempts} times: ${messageOf(lastError)}`, {
      hint: 'check that enough replicas are up for source.consistency; the split resumes from its checkpoint on retry',
      retryable: true,
      context: { rangeStart: range.start.toString(), rangeEnd: range.end.toString(), replicas: range.replicas.join(',') },
    });
  };

  let rangeIndex = 0;
  const first = options.ranges[0];
  if (!first) return;
  let pending: Promise<Page> | undefined = fetchPage(first, undefined);
  try {
    while (pending) {
      const page: Page = await pending;
      if (page.pageState) pending = fetchPage(options.ranges[rangeIndex] as ReplicatedRange, page.pageState);
      else {
        rangeIndex++;
        const next = options.ranges[rangeIndex];
        pending = next ? fetchPage(next, undefined) : undefined;
      }
      if (page.rows.length > 0) yield page.rows;
    }
  } finally {
    // A consumer that stops early must not leave a rejected prefetch unhandled.
    pending?.catch(() => undefined);
  }
}
