import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { C2yConfig } from '../config/index.js';
import { cellDecoder, openCassandra, sessionOptionsOf, type DriverType } from '../source/index.js';
import { cassandraJarOf, ensureAgentClasses } from './agent-build.js';
import type { AgentLine, LogPosition } from './agent-events.js';
import { agentLines, type AgentControl } from './agent-process.js';
import { agentSchema, checkAgentVersion, ensureCdcEnabled } from './cdc-source.js';
import { ChangeDecoder, type ColumnTypes } from './change-decoder.js';

/** Where the agent's compiled classes are kept between runs (C2Y_CACHE, else ~/.cache/c2y). */
function agentCacheDir(): string {
  return join(resolve(process.env['C2Y_CACHE'] ?? join(homedir(), '.cache', 'c2y')), 'cdc-agent');
}

export interface ChangeStreamOptions {
  readonly config: C2yConfig;
  /** The tables of config.source.keyspace to read changes of (default: config.source.table). */
  readonly tables?: readonly string[];
  /** The node's cassandra.yaml (its cdc_raw_directory, partitioner, commit-log settings). */
  readonly yaml: string;
  /** The node's Cassandra lib folder: the agent is compiled and run on these jars. */
  readonly libDir: string;
  readonly from?: LogPosition | undefined;
  readonly follow: boolean;
  readonly enableCdc: boolean;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Told what was set up before the first change (CDC enabled on tables, the agent's Cassandra version). */
  readonly onReady?: (ready: { readonly release: string; readonly enabled: readonly string[] }) => void;
  /** Told, once the agent runs, how to release applied segments to it. */
  readonly onAgent?: (agent: AgentControl) => void;
  /** Only where the log ends now (one caught-up line), nothing read: where a capture that starts now begins. */
  readonly endOnly?: boolean;
}

export interface StreamedLine {
  readonly line: AgentLine;
  /** The decoder of the change's table (of the first table, for a line that is not a change). */
  readonly decoder: ChangeDecoder;
}

/** The table's driver types: partition key, clustering and every column by name, for decoding cells. */
async function columnTypes(client: Awaited<ReturnType<typeof openCassandra>>, keyspace: string, table: string): Promise<ColumnTypes> {
  const meta = await client.metadata.getTable(keyspace, table);
  const typeOf = (column: { type: unknown }): DriverType => column.type as DriverType;
  return {
    partitionKey: meta.partitionKeys.map(typeOf), clustering: meta.clusteringKeys.map(typeOf),
    columns: new Map(meta.columns.map((column) => [column.name, typeOf(column)])),
  };
}

/**
 * One node's changes to the tables, in log order: checks the node's version against the jars and that each table has
 * CDC (or enables it), gives the agent the tables' schema from the cluster, then streams what it reads.
 */
export async function* changeStream(options: ChangeStreamOptions): AsyncGenerator<StreamedLine> {
  const { config } = options;
  const { keyspace } = config.source;
  const tables = options.tables ?? [config.source.table];
  const client = await openCassandra(sessionOptionsOf(config.source));
  const workDir = mkdtempSync(join(tmpdir(), 'c2y-cdc-'));
  try {
    const { version } = cassandraJarOf(options.libDir);
    const release = await checkAgentVersion(client, version, options.libDir);
    const enabled = await ensureCdcEnabled(client, keyspace, tables, options.enableCdc);
    const schemaFile = join(workDir, 'schema.cql');
    writeFileSync(schemaFile, await agentSchema(client, keyspace, tables));
    const decoders = new Map<string, ChangeDecoder>();
    for (const table of tables) decoders.set(`${keyspace}.${table}`, new ChangeDecoder(cellDecoder(client), await columnTypes(client, keyspace, table)));
    const first = decoders.get(`${keyspace}.${tables[0] ?? ''}`) as ChangeDecoder;
    const classes = ensureAgentClasses(options.libDir, agentCacheDir());
    options.onReady?.({ release, enabled });
    for await (const line of agentLines({
      classes, libDir: options.libDir, yaml: options.yaml, schemaFile, tables: tables.map((table) => `${keyspace}.${table}`), from: options.from, follow: options.follow, workDir,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}), ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onAgent ? { onStarted: options.onAgent } : {}), ...(options.endOnly ? { endOnly: true } : {}),
    })) {
      yield { line, decoder: (line.type === 'change' ? decoders.get(line.table) : undefined) ?? first };
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    await client.shutdown().catch(() => undefined);
  }
}
