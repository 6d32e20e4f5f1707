import type { Command } from 'commander';
import { loadConfig, loadKeyspaceConfig, type ConfigSources, type KeyspaceConfig, type LoadedConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { withPromptedPasswords } from './password-prompt.js';

/** Flags that set config keys directly; everything else goes through --set key=value. */
const SHORTCUTS: ReadonlyArray<[flag: string, key: string, description: string]> = [
  ['--contact-points <list>', 'source.contactPoints', 'Cassandra nodes, host[:port],…'],
  ['--keyspace <name>', 'source.keyspace', 'source keyspace'],
  ['--table <name>', 'source.table', 'source table'],
  ['--tables <list>', 'source.tables', 'without --table (schema, plan, validate): tables to take, names or patterns (* ?), comma-separated'],
  ['--exclude-tables <list>', 'source.excludeTables', 'without --table: tables to leave out'],
  ['--consistency <level>', 'source.consistency', 'read consistency (default LOCAL_QUORUM)'],
  ['--split-size-mb <n>', 'source.splitSizeMb', 'target bytes per token split'],
  ['--target-hosts <list>', 'target.hosts', 'YSQL/PostgreSQL nodes, host[:port],…'],
  ['--database <name>', 'target.database', 'target database'],
  ['--target-user <name>', 'target.user', 'target user'],
  ['--target-schema <name>', 'target.schema', 'target schema'],
  ['--target-table <name>', 'target.table', 'target table (default: source table)'],
  ['--on-existing <mode>', 'target.onExisting', 'a target table holding rows: refuse (default), skip rows whose key is there, update them'],
  ['--parallelism <n>', 'parallelism', 'requested partitions (spark.default.parallelism)'],
  ['--executors <n>', 'executors', 'worker processes (spark.executor.instances)'],
  ['--cores <n>', 'cores', 'concurrent tasks per executor (spark.executor.cores)'],
  ['--executor-memory <size>', 'executorMemory', 'heap per executor, e.g. 2g (spark.executor.memory)'],
  ['--copy-buffer-size <n>', 'copyBufferSize', 'rows held between reader and writer per task'],
  ['--copy-flush-every <n>', 'copyFlushEvery', 'rows per COPY transaction'],
  ['--run-dir <path>', 'runDir', 'folder for run folders'],
  ['--ui-port <port>', 'uiPort', 'live dashboard and /metrics port (default 4040, 0 = off)'],
  ['--ui-host <address>', 'uiHost', 'dashboard bind address (default 127.0.0.1)'],
  ['--redis <url>', 'redis', 'Redis of a distributed run (migrate --distributed), redis://host:port'],
  ['--log-level <level>', 'logLevel', 'terminal lines from this level up: error, warn, info (default), debug (or C2Y_LOG_LEVEL)'],
];

const attributeOf = (flag: string): string => (flag.split(' ')[0] as string).replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * The config flags; `only` keeps the shortcuts whose key it accepts, so a command that cannot honour a setting (the
 * CDC agent has no target and no executors) refuses its flag as unknown instead of ignoring it.
 */
export function addConfigOptions(command: Command, only: (key: string) => boolean = () => true): Command {
  command
    .option('--config <file>', 'YAML config file')
    .option('--properties <file>', 'Spark-style .properties file (seed keys accepted)')
    .option('--set <key=value>', 'any config key, repeatable', (value: string, previous: string[] = []) => [...previous, value])
    .option('--ask-password', 'ask for the passwords on the terminal (never as a flag)');
  if (only('quiet')) command.option('--quiet', 'no progress display and only warnings and errors on the terminal (the run folder keeps the full log)');
  for (const [flag, key, description] of SHORTCUTS) if (only(key)) command.option(flag, description);
  return command;
}

/** configFromOptions, then --ask-password's prompts. */
export async function configWithPasswords(options: Record<string, unknown>): Promise<LoadedConfig> {
  const loaded = configFromOptions(options);
  return options['askPassword'] === true ? withPromptedPasswords(loaded) : loaded;
}

/** Flags > env (C2Y_*) > properties > YAML file > defaults. Passwords come from file, env or a prompt, never a flag. */
export function configFromOptions(options: Record<string, unknown>): LoadedConfig {
  return loadConfig(sourcesOf(options, flagsOf(options)));
}

function flagsOf(options: Record<string, unknown>): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const [flag, key] of SHORTCUTS) {
    const value = options[attributeOf(flag)];
    if (typeof value === 'string') flags[key] = value;
  }
  // --quiet is warn level unless a level was asked for explicitly.
  if (options['quiet'] === true && flags['logLevel'] === undefined && process.env['C2Y_LOG_LEVEL'] === undefined) flags['logLevel'] = 'warn';
  for (const pair of (options['set'] as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new C2yError('CONFIG_INVALID', `--set expects key=value, got "${pair}"`, { hint: 'e.g. --set target.maxConnectionsPerNode=20' });
    const key = pair.slice(0, at);
    if (key.endsWith('password')) {
      throw new C2yError('CONFIG_INVALID', `passwords are not accepted on the command line (${key})`, { hint: `put it in the config file or the ${key === 'source.password' ? 'C2Y_SOURCE_PASSWORD' : 'C2Y_TARGET_PASSWORD'} environment variable` });
    }
    flags[key] = pair.slice(at + 1);
  }
  return flags;
}

function sourcesOf(options: Record<string, unknown>, flags: Record<string, string>): ConfigSources {
  return { file: options['config'] as string | undefined, properties: options['properties'] as string | undefined, env: process.env, flags };
}

/**
 * For a command that takes one table or a whole keyspace (`c2y schema`): the one-table config when source.table is
 * set, else the keyspace's (source.tables and source.excludeTables choose its tables).
 */
export async function tableOrKeyspaceConfig(options: Record<string, unknown>): Promise<{ readonly table: LoadedConfig } | { readonly keyspace: KeyspaceConfig }> {
  const flags = flagsOf(options);
  const keyspace = loadKeyspaceConfig(sourcesOf(options, flags)).config;
  if (keyspace.source.table !== undefined) return { table: await configWithPasswords(options) };
  const asked = options['askPassword'] === true ? await withPromptedPasswords({ config: keyspace }) : { config: keyspace };
  return { keyspace: asked.config };
}

/** validate's hash buckets (--buckets), as validate, catchup and cutover take them. */
export function bucketsOption(options: Record<string, unknown>): number {
  const buckets = Number(options['buckets']);
  if (!Number.isInteger(buckets) || buckets < 1) throw new C2yError('CONFIG_INVALID', `--buckets must be a positive whole number, got "${String(options['buckets'])}"`, { hint: 'e.g. --buckets 1024' });
  return buckets;
}
