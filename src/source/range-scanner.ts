import cassandra from 'cassandra-driver';
import { C2yError, messageOf, PAGE_RETRY, retryDelayMs } from '../errors/index.js';
import type { ReplicatedRange } from '../plan/index.js';
import { quoteIdent, type SourceTable } from '../schema/index.js';
import { dialAddress, type CassandraClient } from './cassandra-session.js';
import { scanSelectList, tokenExpression } from './table-size.js';
import { partitionTailQueries, type KeyCodec, type PartitionPosition } from './partition-position.js';
import { RAW_PAGES_OPTION, rawPageOf, type RawPageColumn } from './raw-page-hook.js';
import { checkPageColumns, rawScanPage, rowsPage, type CellDecoder, type ScanPage } from './scan-page.js';

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
  /** Client-side time limit per page (source.readTimeoutMs); the driver's 60 s when absent. */
  readonly readTimeoutMs?: number;
  /** Pages as bytes (the raw page hook must be installed); cells are decoded with this only when asked. */
  readonly rawPages?: CellDecoder;
  /** source.where in CQL (SourceFilter.cql): only partitions that match are read. */
  readonly filterCql?: string | undefined;
  /** Told how long each page took to arrive (the request's round trip and Cassandra's work). */
  readonly onPageRead?: (ms: number) => void;
  /** Told of each failed page attempt that will be tried again. */
  readonly onPageRetry?: (retry: { readonly attempt: number; readonly replica: string | null; readonly error: string }) => void;
}

/**
 * A token-range read; with source.where's condition, Cassandra skips the other partitions by their keys. Read as
 * raw pages, it does not select `token(…)`: the reader hashes each partition's key itself (clientTokenOf), which
 * spared Cassandra ~10 % of its CPU a row on `events` (the selector is a function call and 8 more bytes a row).
 */
export function scanQuery(table: SourceTable, filterCql?: string, tokenCell = true): string {
  const token = tokenExpression(table);
  const read = `SELECT ${scanSelectList(table, tokenCell)} FROM ${quoteIdent(table.keyspace)}.${quoteIdent(table.name)} WHERE ${token} > ? AND ${token} <= ?`;
  return filterCql === undefined ? read : `${read} AND ${filterCql} ALLOW FILTERING`;
}

type Page = { readonly page: ScanPage; readonly pageState: string | undefined };

/** A driver result as a page, its columns checked against the plan first. */
function pageOf(options: RangeScanOptions, result: cassandra.types.ResultSet, statement: PagedStatement): ScanPage {
  const raw = options.rawPages === undefined ? undefined : rawPageOf(result.rows);
  const columns = (raw?.columns ?? result.columns ?? []) as readonly RawPageColumn[];
  const { tokens } = statement;
  if (tokens !== undefined && raw === undefined && result.rows.length > 0) throw notRaw(statement);
  // An empty page of a non-raw read may come without column metadata; there is nothing to misplace in it.
  if (columns.length > 0 || (raw?.rowCount ?? result.rows.length) > 0) checkPageColumns(options.table, columns, tokens === undefined);
  if (raw !== undefined && options.rawPages !== undefined) {
    return rawScanPage(raw, options.rawPages, tokens === undefined ? undefined : { ...tokens, keyCells: keyCellsOf(options.table), describe: statement.describe });
  }
  // Columns are read by position: the select list names them c0, c1, … (see scanSelectList).
  return rowsPage(result.rows.map((row) => row.values()));
}

/** One statement to page through: its CQL, bound values, the replicas to prefer, and how to name it in an error. */
interface PagedStatement {
  readonly cql: string;
  readonly params: readonly unknown[];
  readonly replicas: readonly string[];
  readonly describe: string;
  readonly context: Readonly<Record<string, string>>;
  /** Set when the CQL selects no `token(…)`: the range ]after, upTo] its rows' hashed tokens must lie in. */
  readonly tokens?: { readonly after: bigint; readonly upTo: bigint };
}

/** The partition key's columns among the page's cells (a range scan's pages hold the table's columns alone). */
function keyCellsOf(table: SourceTable): number[] {
  return table.partitionKeys.map((name) => table.columns.findIndex((column) => column.name === name));
}

/**
 * A page of a range scan that selected no token came as the driver's rows (the raw page hook let it through): its
 * rows' tokens cannot be hashed from their bytes, so it is read again (and the split retried from its checkpoint).
 */
function notRaw(statement: PagedStatement): C2yError {
  return new C2yError('SOURCE_READ_FAILED', `a page of ${statement.describe} came as the driver's rows where its bytes were asked: its rows' tokens cannot be computed`, {
    hint: 'the page is read again; if it persists, set source.rawPages: false (every token is then read from Cassandra)',
    retryable: true,
    context: statement.context,
  });
}

/** A read that ran out of time: a smaller page may fit where a full one did not. */
function isTimeout(error: unknown): boolean {
  const driverError = error as { code?: unknown; name?: unknown } | null;
  return driverError?.name === 'OperationTimedOutError' || driverError?.code === cassandra.types.responseErrorCodes.readTimeout;
}

/**
 * The replica a page is pinned to: one that is up and in the local data center. A replica in another DC is never
 * pinned (the driver's DC-aware policy refuses it, which cost a failed attempt and a backoff, and with 3+ DCs could
 * fail a split); with no local replica up, the page is left to the load-balancing policy, which stays local.
 */
export function pickReplica(hosts: ReadonlyArray<Pick<cassandra.Host, 'isUp' | 'datacenter'> | undefined>, localDc: string | undefined, turn: number): cassandra.Host | undefined {
  const usable = hosts.filter((host): host is cassandra.Host => host !== undefined && host.isUp() && (localDc === undefined || host.datacenter === localDc));
  return usable.length === 0 ? undefined : usable[turn % usable.length];
}

/** Fetches pages of one statement with retries; a page that times out is asked again at half the size. */
function pageFetcher(options: RangeScanOptions): (statement: PagedStatement, pageState: string | undefined) => Promise<Page> {
  const attempts = options.pageAttempts ?? 4;
  let fetchSize = options.fetchSize;
  const rawOption = options.rawPages === undefined ? {} : { [RAW_PAGES_OPTION]: true };
  // The driver keeps its options (localDataCenter among them) but does not declare them on Client.
  const localDc = (options.client as unknown as { options?: { localDataCenter?: string } }).options?.localDataCenter;
  const hostFor = (replicas: readonly string[], attempt: number): cassandra.Host | undefined => {
    const hosts = replicas.map((address) => options.client.hosts.get(dialAddress(options.addressMap, address)));
    return pickReplica(hosts, localDc, options.replicaOffset + attempt);
  };
  return async (statement, pageState) => {
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const host = hostFor(statement.replicas, attempt);
      try {
        const asked = performance.now();
        const result = await options.client.execute(statement.cql, [...statement.params], {
          prepare: true, fetchSize, consistency: options.consistency, isIdempotent: true, ...rawOption,
          ...(options.readTimeoutMs !== undefined ? { readTimeout: options.readTimeoutMs } : {}),
          ...(pageState ? { pageState } : {}), ...(host ? { host } : {}),
        });
        options.onPageRead?.(performance.now() - asked);
        return { page: pageOf(options, result, statement), pageState: result.pageState ?? undefined };
      } catch (error) {
        if (error instanceof C2yError && !error.retryable) throw error;
        lastError = error;
        if (attempt + 1 < attempts) options.onPageRetry?.({ attempt: attempt + 1, replica: host?.address ?? null, error: messageOf(error) });
        if (isTimeout(error) && fetchSize > 1) fetchSize = Math.max(1, Math.floor(fetchSize / 2));
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(PAGE_RETRY, attempt + 1)));
      }
    }
    throw new C2yError('SOURCE_READ_FAILED', `reading ${statement.describe} from replicas ${statement.replicas.join(', ') || '(unknown)'} failed ${attempts} times (last page size ${fetchSize}): ${messageOf(lastError)}`, {
      hint: 'check that enough replicas are up for source.consistency (a slow node: raise source.readTimeoutMs); the split resumes from its checkpoint on retry',
      retryable: true,
      context: { ...statement.context, replicas: statement.replicas.join(',') },
    });
  };
}

/**
 * Pages through statements in order. The next page is requested before the current one is handed out, so reading
 * overlaps encoding and writing; at most two pages are held here.
 */
async function* pageThrough(options: RangeScanOptions, statements: readonly PagedStatement[]): AsyncGenerator<ScanPage, void, undefined> {
  const fetchPage = pageFetcher(options);
  let index = 0;
  const first = statements[0];
  if (!first) return;
  let pending: Promise<Page> | undefined = fetchPage(first, undefined);
  try {
    while (pending) {
      const page: Page = await pending;
      if (page.pageState) pending = fetchPage(statements[index] as PagedStatement, page.pageState);
      else {
        index++;
        const next = statements[index];
        pending = next ? fetchPage(next, undefined) : undefined;
      }
      if (page.page.length > 0) yield page.page;
    }
  } finally {
    // A consumer that stops early must not leave a rejected prefetch unhandled.
    pending?.catch(() => undefined);
  }
}

/** Pages through the ranges in token order, each from its own replicas. */
export function scanRanges(options: RangeScanOptions): AsyncGenerator<ScanPage, void, undefined> {
  const hashTokens = options.rawPages !== undefined;
  const cql = scanQuery(options.table, options.filterCql, !hashTokens);
  return pageThrough(options, options.ranges.map((range) => ({
    cql, params: [range.start, range.end], replicas: range.replicas, describe: `tokens ]${range.start}, ${range.end}]`,
    context: { rangeStart: range.start.toString(), rangeEnd: range.end.toString() },
    ...(hashTokens ? { tokens: { after: range.start, upTo: range.end } } : {}),
  })));
}

/** One read by key (a CDC change's partition or row): its CQL and bound values, and how an error names it. */
export interface KeyRead {
  readonly cql: string;
  readonly params: readonly unknown[];
  readonly describe: string;
}

/**
 * Pages through reads by key, in order, with the scan's retries and page sizes; the driver's token-aware policy
 * picks the replicas (a key read has no split to spread). `ranges` and `replicaOffset` of the options are unused.
 */
export function scanKeys(options: Omit<RangeScanOptions, 'ranges' | 'replicaOffset'>, reads: readonly KeyRead[]): AsyncGenerator<ScanPage, void, undefined> {
  return pageThrough({ ...options, ranges: [], replicaOffset: 0 }, reads.map((read) => ({ ...read, replicas: [], context: {} })));
}

/** The rows of one partition after a clustering position, in clustering order (a resume inside a huge partition). */
export function scanPartitionTail(options: RangeScanOptions, tail: { token: bigint; position: PartitionPosition; codec: KeyCodec; replicas: readonly string[] }): AsyncGenerator<ScanPage, void, undefined> {
  const values = tail.codec.valuesOf(tail.position);
  return pageThrough(options, partitionTailQueries(options.table).map((query) => ({
    cql: query.cql, params: [...values.key, ...values.clustering.slice(0, query.equalities + 1)], replicas: tail.replicas,
    describe: `the rest of the partition at token ${tail.token}`, context: { token: tail.token.toString() },
  })));
}
