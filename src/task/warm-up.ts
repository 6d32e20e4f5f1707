import cassandra from 'cassandra-driver';
import { ChunkWriter, type CopyFormat } from '../encode/index.js';
import type { CqlType, SourceColumn, SourceTable } from '../schema/index.js';
import { EXACT_ENCODING, cellDecoder, installRawPageHook, murmur3Token, parseCanned, rawScanPage, rowsBody, type BodyColumn, type CellDecoder, type ClientTokens, type DriverType } from '../source/index.js';
import { rawRowEncoder } from './page-encoders.js';

/**
 * Why: V8 runs a function's first calls in its interpreter and optimizes it only after many. A run's executor paid
 * that on its first rows: ~25 µs of CPU a row over the first 20,000 `events` rows against ~4 once warm, about a second
 * of CPU over its first 200,000 rows. For a worker under a CPU quota (or a short run) that is a fixed cost each
 * worker pays again, so it ate most of what a second worker added. A worker's spare executor, forked between runs,
 * runs pages of a synthetic table of the common CQL types through the very code a copy runs: the driver's parser with
 * c2y's raw page hook, the page reader, the transcoders (COPY binary and text) and the chunk writer. Closures made
 * at one place share V8's feedback and optimized code, so the run's own transcoders start warm; the row function
 * generated per table does not, nor do the sockets' paths.
 */

const { types } = cassandra;
const code = types.dataTypes;

interface WarmColumn {
  readonly column: SourceColumn;
  readonly type: DriverType;
  readonly value: (row: number) => unknown;
}

const scalar = (name: Extract<CqlType, { kind: 'scalar' }>['name']): CqlType => ({ kind: 'scalar', name });
const WORDS = ['view', 'click', 'purchase', 'refund', 'signup', 'login', 'naïve', 'tab\there', 'zürich', 'ok'];
const text = (row: number, width: number): string => `${WORDS[row % WORDS.length] ?? ''}-${'x'.repeat(row % width)}-${row}`;

/** Keys first (as SourceTable orders them), then one column of each common type, collections of three kinds. */
const COLUMNS: readonly WarmColumn[] = [
  { column: { name: 'k', type: scalar('uuid'), role: 'partition' }, type: { code: code.uuid }, value: () => types.Uuid.random() },
  { column: { name: 'at', type: scalar('timestamp'), role: 'clustering' }, type: { code: code.timestamp }, value: (row) => new Date(1_700_000_000_000 + row * 997) },
  { column: { name: 'id', type: scalar('timeuuid'), role: 'clustering' }, type: { code: code.timeuuid }, value: () => types.TimeUuid.now() },
  { column: { name: 'i', type: scalar('int'), role: 'regular' }, type: { code: code.int }, value: (row) => (row * 7919) % 100_003 - 50_000 },
  { column: { name: 'b', type: scalar('bigint'), role: 'regular' }, type: { code: code.bigint }, value: (row) => BigInt(row) * 1_000_000_007n - 9n },
  { column: { name: 's', type: scalar('smallint'), role: 'regular' }, type: { code: code.smallint }, value: (row) => (row % 600) - 300 },
  { column: { name: 't', type: scalar('tinyint'), role: 'regular' }, type: { code: code.tinyint }, value: (row) => (row % 200) - 100 },
  { column: { name: 'txt', type: scalar('text'), role: 'regular' }, type: { code: code.varchar }, value: (row) => text(row, 120) },
  { column: { name: 'a', type: scalar('ascii'), role: 'regular' }, type: { code: code.ascii }, value: (row) => `ascii ${row}` },
  { column: { name: 'flag', type: scalar('boolean'), role: 'regular' }, type: { code: code.boolean }, value: (row) => row % 3 === 0 },
  { column: { name: 'd', type: scalar('double'), role: 'regular' }, type: { code: code.double }, value: (row) => row / 7 - 100 },
  { column: { name: 'f', type: scalar('float'), role: 'regular' }, type: { code: code.float }, value: (row) => row / 4 },
  { column: { name: 'dec', type: scalar('decimal'), role: 'regular' }, type: { code: code.decimal }, value: (row) => types.BigDecimal.fromString(`${row}.${row % 100}`) },
  { column: { name: 'vi', type: scalar('varint'), role: 'regular' }, type: { code: code.varint }, value: (row) => BigInt(row) ** 3n },
  { column: { name: 'ip', type: scalar('inet'), role: 'regular' }, type: { code: code.inet }, value: (row) => types.InetAddress.fromString(`10.${row % 256}.0.${row % 200}`) },
  { column: { name: 'day', type: scalar('date'), role: 'regular' }, type: { code: code.date }, value: (row) => types.LocalDate.fromDate(new Date(Date.UTC(2024, 0, 1 + (row % 3000)))) },
  { column: { name: 'tm', type: scalar('time'), role: 'regular' }, type: { code: code.time }, value: (row) => types.LocalTime.fromMilliseconds(row * 1013) },
  { column: { name: 'bl', type: scalar('blob'), role: 'regular' }, type: { code: code.blob }, value: (row) => Buffer.from(text(row, 40)) },
  { column: { name: 'tags', type: { kind: 'set', element: scalar('text'), frozen: false }, role: 'regular' }, type: { code: code.set, info: { code: code.varchar } }, value: (row) => (row % 5 === 0 ? null : ['a', 'b', text(row, 8)]) },
  { column: { name: 'ns', type: { kind: 'list', element: scalar('int'), frozen: false }, role: 'regular' }, type: { code: code.list, info: { code: code.int } }, value: (row) => [row, -row, 3] },
  { column: { name: 'm', type: { kind: 'map', key: scalar('text'), value: scalar('bigint'), frozen: false }, role: 'regular' }, type: { code: code.map, info: [{ code: code.varchar }, { code: code.bigint }] }, value: (row) => ({ one: BigInt(row), two: -2n }) },
];

const TABLE: SourceTable = { keyspace: 'ks', name: 't', columns: COLUMNS.map((c) => c.column), partitionKeys: ['k'], clusteringKeys: ['at', 'id'] };
const ROWS_PER_PAGE = 500;
/** Rounds run whatever the budget: each format, whole and split across two reads (a page larger than a socket read). */
const MIN_ROUNDS = 6;
/** A page's COPY bytes are taken (as a task hands a chunk to its COPY stream) past this many. */
const CHUNK_BYTES = 256 * 1024;

export interface WarmUpResult {
  readonly rows: number;
  readonly cpuMs: number;
  /** Cells that went by the driver's decode (a column with no transcoder): none, or the fast path was not warmed. */
  readonly referenceCells: number;
  /** Why it did not warm, if it could not (it never fails the executor: a cold start is only slower). */
  readonly skipped?: string;
}

/**
 * The synthetic page's body: each column, every tenth cell of the text columns null; no token, as a range scan's raw
 * pages (scanQuery), and its rows in token order, as Cassandra returns them, so their hashed tokens pass the check.
 */
function warmBody(encoder: { encode(value: unknown, type: DriverType): Buffer | null }): Buffer {
  const columns: BodyColumn[] = COLUMNS.map((c) => ({ name: c.column.name, type: c.type }));
  const rows = Array.from({ length: ROWS_PER_PAGE }, (_, row) => COLUMNS.map((c, index) => {
    const value = row % 10 === index % 10 && index > 2 ? null : c.value(row);
    return value === null ? null : encoder.encode(value, c.type);
  }));
  const ordered = rows.map((row) => ({ row, token: murmur3Token(row[0] as Buffer) })).sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  return rowsBody(columns, ordered.map(({ row }) => row));
}

/** The whole ring, the warm-up page's range: its keys are random. */
const WARM_TOKENS: ClientTokens = { keyCells: [0], after: -(2n ** 63n), upTo: 2n ** 63n - 1n, describe: 'the warm-up page' };

/**
 * Runs synthetic pages through the copy path, COPY binary and text in turn, until `budgetMs` of this process's CPU is
 * spent. The bytes go nowhere; the raw page hook must be installed (rawReadPath) for the pages to come back raw.
 */
export function warmTranscoders(budgetMs: number): WarmUpResult {
  // Building the synthetic page counts against the budget too.
  const started = process.cpuUsage();
  const spent = (): number => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  const hook = installRawPageHook();
  if (!hook.installed) return { rows: 0, cpuMs: spent(), referenceCells: 0, skipped: hook.reason };
  const decoder: CellDecoder = cellDecoder({ options: { encoding: EXACT_ENCODING } });
  const body = warmBody(decoder as unknown as { encode(value: unknown, type: DriverType): Buffer | null });
  const writer = new ChunkWriter();
  const encoders = new Map<CopyFormat, ReturnType<typeof rawRowEncoder>>();
  let rows = 0;
  const referenceCells = (): number => [...encoders.values()].reduce((sum, encoder) => sum + encoder.referenceCells(), 0);
  for (let round = 0; round < MIN_ROUNDS || spent() < budgetMs; round++) {
    const page = parseCanned(round % 3 === 2 ? 3 : 1, body);
    if (typeof page === 'string') return { rows, cpuMs: spent(), referenceCells: referenceCells(), skipped: page };
    const format: CopyFormat = round % 2 === 0 ? 'binary' : 'text';
    const encoder = encoders.get(format) ?? rawRowEncoder(TABLE, page, decoder, format);
    encoders.set(format, encoder);
    const scan = rawScanPage(page, decoder, WARM_TOKENS);
    for (let row = 0; row < scan.length; row++) {
      scan.token(row);
      scan.isNull(row, 1);
      const start = writer.length;
      writer.hash(start, encoder.encode(page, row, writer));
      if (writer.length >= CHUNK_BYTES) writer.take();
    }
    rows += scan.length;
    scan.release();
  }
  return { rows, cpuMs: spent(), referenceCells: referenceCells() };
}
