/**
 * source-cost: what c2y's scan costs Cassandra, and how much of it is the `token(...)` selector in its select list.
 * The same splits are scanned on the same streams (each page pinned to its range's replica, raw pages so this process
 * stays light) twice a trial, in alternating order: with c2y's select list (the token, then every column) and with the
 * columns alone. Cassandra's CPU a row is its JVMs' CPU over each scan.
 * `npm run bench -- source-cost [--rows 1000000] [--trials 5] [--streams 2] [--quick]`
 *
 * Why: c2y reads each row's token from Cassandra, which computes it per row; the driver could hash the partition key
 * itself once per partition. This scenario says what that would save the source cluster before anyone builds it.
 */
import { parseArgs } from 'node:util';
import type { C2yConfig } from '../src/config/index.js';
import { splitFromJson, type SplitJson } from '../src/plan/index.js';
import { consistencyCode, openCassandra, RAW_PAGES_OPTION, rawPageOf, rawReadPath, scanQuery, sessionOptionsOf, tokenExpression, type CassandraClient } from '../src/source/index.js';
import type { SourceTable } from '../src/schema/index.js';
import { benchConfig, ensureBenchCassandra, ensureData, plannedSplits, serverCpu, warmCassandra } from './limits.js';
import { median, writeResults } from './lib/results-file.js';

const KEYSPACE = 'bench_limits';

interface Scan { readonly rows: number; readonly seconds: number; readonly cassandraMicrosPerRow: number }

/** Every split's ranges paged through `streams` at a time with this CQL; returns the rows read. */
async function scanWith(client: CassandraClient, cql: string, splits: readonly SplitJson[], streams: number, fetchSize: number, consistency: number): Promise<number> {
  const queue = splits.map(splitFromJson);
  const rawOption = { [RAW_PAGES_OPTION]: true };
  let rows = 0;
  await Promise.all(Array.from({ length: streams }, async () => {
    for (let split = queue.shift(); split; split = queue.shift()) {
      for (const range of split.ranges) {
        const host = range.replicas.map((address) => client.hosts.get(address)).find((h) => h !== undefined);
        let pageState: string | undefined;
        do {
          const result = await client.execute(cql, [range.start, range.end], {
            prepare: true, fetchSize, consistency, isIdempotent: true, ...rawOption, ...(host ? { host } : {}), ...(pageState ? { pageState } : {}),
          });
          const page = rawPageOf(result.rows);
          rows += page?.rowCount ?? result.rowLength;
          page?.release();
          pageState = result.pageState ?? undefined;
        } while (pageState);
      }
    }
  }));
  return rows;
}

/** c2y's own scan CQL, and the same without its token selector. */
export function scanQueries(table: SourceTable): { withToken: string; withoutToken: string } {
  const withToken = scanQuery(table);
  const selector = `${tokenExpression(table)} AS t, `;
  if (!withToken.includes(selector)) throw new Error(`the scan query no longer starts its select list with the token: ${withToken}`);
  return { withToken, withoutToken: withToken.replace(selector, '') };
}

async function measured(scan: () => Promise<number>, cassandraCpu: () => number): Promise<Scan> {
  const before = cassandraCpu();
  const started = process.hrtime.bigint();
  const rows = await scan();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows, seconds, cassandraMicrosPerRow: ((cassandraCpu() - before) * 1e6) / Math.max(rows, 1) };
}

export async function sourceCostBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    rows: { type: 'string', default: '1000000' }, trials: { type: 'string', default: '5' }, streams: { type: 'string', default: '2' }, quick: { type: 'boolean', default: false },
  } });
  const rows = values.quick ? 20_000 : Number(values.rows);
  const trials = values.quick ? 1 : Number(values.trials);
  const streams = Number(values.streams);
  const cassandraNodes = await ensureBenchCassandra();
  await ensureData(rows, KEYSPACE, values.quick);
  if (!values.quick) await warmCassandra();
  const config: C2yConfig = benchConfig({ rows, trials, parallelism: streams, executors: 1, cores: streams, splitSizeMb: values.quick ? 0.5 : 16 });
  const { table, splits } = await plannedSplits(config);
  const queries = scanQueries(table);
  const client = await openCassandra(sessionOptionsOf(config.source));
  const readPath = rawReadPath(client);
  // Driver rows would cost this process ~15 µs a row and slow both scans alike; say so rather than measure quietly.
  if (readPath.decoder === undefined) console.log(`[bench] raw pages are off here (${readPath.detail}): both scans decode rows`);
  const servers = await serverCpu();
  const consistency = consistencyCode(config.source.consistency);
  const scan = (cql: string) => () => scanWith(client, cql, splits, streams, config.source.fetchSize, consistency);
  const results: Array<{ trial: number; withToken: Scan; withoutToken: Scan }> = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      // Alternating which goes first, so neither always meets the other's leftover collections.
      const first = trial % 2 === 0 ? 'withToken' : 'withoutToken';
      const a = await measured(scan(queries[first]), servers.cassandra);
      const b = await measured(scan(queries[first === 'withToken' ? 'withoutToken' : 'withToken']), servers.cassandra);
      const withToken = first === 'withToken' ? a : b;
      const withoutToken = first === 'withToken' ? b : a;
      if (withToken.rows !== withoutToken.rows) throw new Error(`the two scans read ${withToken.rows} and ${withoutToken.rows} rows`);
      results.push({ trial, withToken, withoutToken });
      console.log(`[bench] trial ${trial + 1}/${trials}: Cassandra ${withToken.cassandraMicrosPerRow.toFixed(2)} µs/row with the token selector (${withToken.seconds.toFixed(2)} s), ${withoutToken.cassandraMicrosPerRow.toFixed(2)} without (${withoutToken.seconds.toFixed(2)} s), ${withToken.rows} rows`);
    }
  } finally {
    await client.shutdown();
  }
  const pick = (f: (r: (typeof results)[number]) => number): number => median(results.map(f));
  const medians = {
    withTokenMicrosPerRow: pick((r) => r.withToken.cassandraMicrosPerRow), withoutTokenMicrosPerRow: pick((r) => r.withoutToken.cassandraMicrosPerRow),
    savedMicrosPerRow: pick((r) => r.withToken.cassandraMicrosPerRow - r.withoutToken.cassandraMicrosPerRow),
    withTokenSeconds: pick((r) => r.withToken.seconds), withoutTokenSeconds: pick((r) => r.withoutToken.seconds),
  };
  const file = writeResults('source-cost', {
    parameters: { rows, trials, streams, readPath: readPath.detail, fetchSize: config.source.fetchSize, splits: splits.length, cassandraNodes, source: `${KEYSPACE}.events (RF 1) at ${config.source.consistency}`, queries },
    medians, trials: results,
  });
  console.log(`[bench] results: ${file}`);
  const share = medians.savedMicrosPerRow / Math.max(medians.withTokenMicrosPerRow, 1e-9);
  console.log(`source-cost: with_token_us_per_row=${medians.withTokenMicrosPerRow.toFixed(2)} without_token_us_per_row=${medians.withoutTokenMicrosPerRow.toFixed(2)} saved_share=${share.toFixed(3)}`);
}
