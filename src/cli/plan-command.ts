import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { formatBytes, type C2yConfig, type KeyspaceConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { expectedRowsPerSecond, planResources, streamsForRate, type PartitionCounts, type ResourcePlan } from '../plan/index.js';
import { measureTable, memorySettings, planKeyspace } from '../workflow/index.js';
import { medianMs, openTarget, parseTargetHosts, type TargetEndpoint } from '../sink/index.js';
import { describeMappedTable, openCassandra, sessionOptionsOf, sourceSelection, type CassandraClient } from '../source/index.js';
import { addConfigOptions, tableOrKeyspaceConfig } from './config-options.js';

export function planCommand(): Command {
  const command = new Command('plan').description(summaryOf('plan'));
  addConfigOptions(command)
    .option('--safety-factor <x>', 'multiplier on the computed memory need', '1.5')
    .option('--refuse-below <x>', 'headroom under which migrate should not start', '0.5')
    .option('--target-rate <rows/s>', 'also print the fewest streams expected to reach this rate')
    .option('--stream-rate <rows/s>', 'rows/s one stream moves with no network delay (assumed; measure with the bench)', '5000')
    .option('--json', 'print the plan as JSON')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      if ('keyspace' in chosen) await keyspacePlanAction(chosen.keyspace, options['json'] === true);
      else await tablePlanAction(chosen.table.config, options);
    });
  return command;
}

/** `c2y plan` of one table: measured as migrate measures it, the memory and connections planned, printed. */
async function tablePlanAction(config: C2yConfig, options: Record<string, unknown>): Promise<void> {
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  const endpoints = parseTargetHosts(config.target.hosts, config.target.port);
  try {
    const table = await describeMappedTable(cassandra, config);
    // As migrate plans it: the share of the tokens selected (source.tokenRanges), refused as migrate refuses it.
    const measure = await measureTable(cassandra, config, table, sourceSelection(config, table));
    const { size, share, counts, averageRowBytes: encodedRowBytes, decodedRowBytes: decoded } = measure;
    const trips = await roundTrips(cassandra, endpoints, config);
    const maxConnections = trips.maxConnections;
    const settings = {
      effectivePartitions: counts.effective, executors: config.executors, cores: config.cores, executorMemoryBytes: config.executorMemory,
      ...memorySettings(config), safetyFactor: Number(options['safetyFactor']), refuseBelow: Number(options['refuseBelow']),
    };
    const plan = planResources(settings, { encodedRowBytes, decodedRowBytes: decoded, targetNodes: endpoints.length, cellsPerRow: table.columns.length, ...(maxConnections ? { targetMaxConnections: maxConnections } : {}) });
    const rtt = Math.max(...Object.values(trips.target), 0);
    const streamRate = Number(options['streamRate']);
    const expected = expectedRowsPerSecond(plan.totalConnections, rtt, config.copyFlushEvery, streamRate);
    const targetRate = options['targetRate'] === undefined ? undefined : Number(options['targetRate']);
    const needed = targetRate === undefined ? undefined : streamsForRate(targetRate, rtt, config.copyFlushEvery, streamRate);
    const result: TablePlanResult = {
      table: `${table.keyspace}.${table.name}`, rows: measure.estimatedRows, size: share < 1 ? `${size.detail}; ${(share * 100).toPrecision(3)} % of its tokens selected` : size.detail, sampledRows: size.sampleRows.length, encodedRowBytes, decodedRowBytes: decoded,
      partitions: counts, ...plan, settings, targetRttMs: trips.target, sourceRttMs: trips.source, targetMaxConnections: maxConnections ?? null,
      expectedRowsPerSecond: Math.round(expected), streamRateAssumed: streamRate, targetRate: targetRate ?? null, streamsForTargetRate: needed ?? null,
    };
    if (options['json'] === true) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else printLines(tablePlanLines(result, config));
    if (plan.refuse) {
      throw new C2yError('CONFIG_INVALID', `executor memory headroom ${plan.headroom.toFixed(2)} is under ${settings.refuseBelow}: executors would run out of memory`, {
        hint: 'use fewer cores per executor, more executors, a smaller copyBufferBytes, or more executorMemory',
      });
    }
  } finally {
    await cassandra.shutdown();
  }
}

/** Median round trips to each target node and each live Cassandra node, and the target's max_connections. */
async function roundTrips(cassandra: CassandraClient, endpoints: readonly TargetEndpoint[], config: C2yConfig): Promise<{ target: Record<string, number>; source: Record<string, number>; maxConnections: number | undefined }> {
  const target: Record<string, number> = {};
  let maxConnections: number | undefined;
  for (const endpoint of endpoints) {
    const client = await openTarget(endpoint, config.target, 'c2y plan');
    try {
      target[endpoint.key] = await medianMs(() => client.query('SELECT 1'));
      maxConnections ??= Number((await client.query<{ max_connections: string }>('SHOW max_connections')).rows[0]?.max_connections);
    } finally {
      await client.end();
    }
  }
  const source: Record<string, number> = {};
  for (const host of cassandra.hosts.values()) {
    if (host.isUp()) source[host.address] = await medianMs(() => cassandra.execute('SELECT release_version FROM system.local', [], { host }));
  }
  return { target, source, maxConnections };
}

/** What `c2y plan --json` prints for a table: its measure, the resource plan, and the round trips. */
type TablePlanResult = ResourcePlan & {
  readonly table: string;
  readonly rows: number;
  readonly size: string;
  readonly sampledRows: number;
  readonly encodedRowBytes: number;
  readonly decodedRowBytes: number;
  readonly partitions: PartitionCounts;
  readonly settings: { readonly copyBufferBytes: number; readonly safetyFactor: number };
  readonly targetRttMs: Readonly<Record<string, number>>;
  readonly sourceRttMs: Readonly<Record<string, number>>;
  readonly targetMaxConnections: number | null;
  readonly expectedRowsPerSecond: number;
  readonly streamRateAssumed: number;
  readonly targetRate: number | null;
  readonly streamsForTargetRate: number | null;
};

/** The table plan as `c2y plan` prints it for a person. */
function tablePlanLines(result: TablePlanResult, config: C2yConfig): Array<[string, string]> {
  const { partitions: counts, settings, memoryPerTask: t } = result;
  const lines: Array<[string, string]> = [
    ['table', `${result.table}: ${result.size}; ${result.sampledRows} rows sampled: ${result.encodedRowBytes} B encoded, ~${result.decodedRowBytes} B decoded per row`],
    ['partitions', `requested ${counts.requested}, token splits ${counts.tokenSplits}, effective ${counts.effective} (${counts.reason})`],
    ['per executor', `${result.partitionsPerExecutor} partitions, ${result.concurrentTasksPerExecutor} concurrent tasks (min(cores ${config.cores}, partitions))`],
    ['memory per task', `${formatBytes(t.total)} = pages ${formatBytes(t.pageBytes)} (2 × ${t.pageRows} rows, within copyBufferBytes ${formatBytes(settings.copyBufferBytes)}, as the page pools hold them) + encode ${formatBytes(t.encodeBufferBytes)} + connection ${formatBytes(t.connectionBytes)}`],
    ['executor memory', `required ${formatBytes(result.requiredExecutorBytes)} (tasks × per task × ${settings.safetyFactor}), configured ${formatBytes(config.executorMemory)}, headroom ${result.headroom.toFixed(2)}`],
    ['totals', `${formatBytes(result.totalMemoryBytes)} over ${config.executors} executors; ${result.totalConnections} connections, ${result.connectionsPerNode} per target node (max_connections ${result.targetMaxConnections ?? '?'})`],
    ['round trips', `target ${Object.entries(result.targetRttMs).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}; cassandra ${Object.entries(result.sourceRttMs).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}`],
    ['expected', `${result.expectedRowsPerSecond.toLocaleString('en-US')} rows/s with ${result.totalConnections} streams (assuming ${result.streamRateAssumed} rows/s per stream, one round trip per ${config.copyFlushEvery}-row commit)`],
  ];
  if (result.targetRate !== null) lines.push(['for the target rate', result.streamsForTargetRate === null ? `${result.targetRate} rows/s is out of reach of 1024 streams` : `${result.streamsForTargetRate} streams for ${result.targetRate} rows/s`]);
  for (const warning of result.warnings) lines.push(['WARNING', warning]);
  return lines;
}

/** Label-value lines with the labels padded to one width. */
function printLines(lines: ReadonlyArray<readonly [string, string]>): void {
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
}

/** `c2y plan` without a table: every chosen table measured as migrate would, largest first, with the totals. */
async function keyspacePlanAction(config: KeyspaceConfig, json: boolean): Promise<void> {
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  try {
    const plan = await planKeyspace(cassandra, config);
    if (json) process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
    else {
      const lines = [`keyspace ${plan.keyspace}: ${plan.totals.tables} table(s), ~${plan.totals.rows.toLocaleString('en-US')} rows, ~${formatBytes(plan.totals.bytes)}, ${plan.totals.splits} splits; largest rows ~${plan.totals.largestRowBytes} B`];
      for (const t of plan.tables) {
        lines.push(t.refusal ? `  ${t.name.padEnd(32)} refused: ${t.refusal.code}: ${t.refusal.message}` : `  ${t.name.padEnd(32)} ~${t.rows.toLocaleString('en-US')} rows, ~${formatBytes(t.bytes)}, ${t.splits} splits, ${t.encodedRowBytes} B/row (${t.sizeDetail})`);
      }
      for (const view of plan.views) lines.push(`  ${view.name.padEnd(32)} skipped: view of ${view.baseTable}`);
      if (plan.excluded.length > 0) lines.push(`  left out: ${plan.excluded.join(', ')}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    const refused = plan.tables.filter((t) => t.refusal !== null);
    if (refused.length > 0) {
      throw new C2yError('CONFIG_INVALID', `${refused.length} table(s) of ${plan.keyspace} cannot be moved as they are: ${refused.map((t) => `${t.name} (${t.refusal?.message ?? ''})`).join('; ')}`, {
        hint: 'fix each one as its line says, or leave it out with --exclude-tables',
      });
    }
  } finally {
    await cassandra.shutdown();
  }
}
