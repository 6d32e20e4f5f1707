import { Command } from 'commander';
import { join } from 'node:path';
import { summaryOf } from './command-table.js';
import { addConfigOptions, tableOrKeyspaceConfig } from './config-options.js';
import { cdcNodeOf, cdcSpaceWarning, changeStream, formatPosition, parsePosition, publishChanges, type LogPosition } from '../cdc/index.js';
import { redactUrl, type C2yConfig } from '../config/index.js';
import { RunSigner } from '../runner/index.js';
import { chosenTables } from '../workflow/index.js';
import { C2yError } from '../errors/index.js';

/** The node's cassandra.yaml and lib folder: from --node-dir (a Cassandra home), each overridable. */
function nodeFiles(options: Record<string, unknown>): { yaml: string; libDir: string } {
  const home = options['nodeDir'] as string | undefined;
  const yaml = (options['yaml'] as string | undefined) ?? (home ? join(home, 'conf', 'cassandra.yaml') : undefined);
  const libDir = (options['lib'] as string | undefined) ?? (home ? join(home, 'lib') : undefined);
  if (yaml === undefined || libDir === undefined) {
    throw new C2yError('CONFIG_INVALID', 'the agent needs the node\'s cassandra.yaml and Cassandra lib folder', {
      hint: 'give --node-dir $CASSANDRA_HOME (conf/cassandra.yaml and lib/ under it), or --yaml and --lib (e.g. --yaml /etc/cassandra/cassandra.yaml --lib /usr/share/cassandra/lib)',
    });
  }
  return { yaml, libDir };
}

function agentCommand(): Command {
  const command = new Command('agent').description('on a Cassandra node: read its cdc_raw with Cassandra\'s own commit-log reader and print each change to the tables as a JSON line, in log order, with its position (or --publish them to Redis)');
  // The source's settings (and Redis, to publish): the agent reads one node's log, and writes only to that Redis.
  addConfigOptions(command, (key) => ['source.contactPoints', 'source.keyspace', 'source.table', 'source.tables', 'source.excludeTables', 'logLevel', 'redis'].includes(key))
    .option('--node-dir <dir>', 'the node\'s Cassandra home (conf/cassandra.yaml, lib/)')
    .option('--yaml <file>', 'the node\'s cassandra.yaml (cdc_raw_directory and commit-log settings)')
    .option('--lib <dir>', 'the node\'s Cassandra lib folder; the agent is compiled and run on these jars')
    .option('--from <position>', 'start after this position (<segment>:<offset>, as printed), e.g. the last one applied')
    .option('--follow', 'keep reading as Cassandra writes (without it: stop once caught up)')
    .option('--enable-cdc', 'turn CDC on for the tables (ALTER TABLE … WITH cdc = true) if it is off, instead of refusing')
    .option('--decode', 'print values decoded by the table\'s types (canonical text) instead of the agent\'s hex lines')
    .option('--publish', 'keep reading and publish every change to Redis (--redis, signed with C2Y_RUN_KEY) for a migrate --live that names this node with --cdc-published-node')
    .option('--poll-ms <n>', 'how often to look for new changes with --follow', '500')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      const tables = 'table' in chosen ? [chosen.table.config] : await chosenTables(chosen.keyspace);
      const config = tables[0] as C2yConfig;
      const files = nodeFiles(options);
      const pollMs = Number(options['pollMs']);
      if (!(Number.isInteger(pollMs) && pollMs > 0)) throw new C2yError('CONFIG_INVALID', `--poll-ms must be a whole number above 0, got "${String(options['pollMs'])}"`, { hint: 'e.g. --poll-ms 500' });
      const controller = new AbortController();
      const onInterrupt = (): void => controller.abort();
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
      const names = tables.map((table) => table.source.table);
      try {
        if (options['publish'] === true) await publish(options, { config, tables: names, files, pollMs, signal: controller.signal });
        else await printLines(options, { config, tables: names, files, pollMs, signal: controller.signal });
      } finally {
        process.off('SIGINT', onInterrupt);
        process.off('SIGTERM', onInterrupt);
      }
    });
  return command;
}

interface AgentJob {
  readonly config: C2yConfig;
  readonly tables: readonly string[];
  readonly files: { readonly yaml: string; readonly libDir: string };
  readonly pollMs: number;
  readonly signal: AbortSignal;
}

/** The agent's lines on stdout (decoded with --decode); Ctrl-C says where to go on. */
async function printLines(options: Record<string, unknown>, job: AgentJob): Promise<void> {
  let last: LogPosition | undefined = typeof options['from'] === 'string' ? parsePosition(options['from']) : undefined;
  let warned = false;
  for await (const { line, decoder } of changeStream({
    config: job.config, tables: job.tables, ...job.files, from: last, follow: options['follow'] === true, enableCdc: options['enableCdc'] === true, pollMs: job.pollMs, signal: job.signal,
    onReady: ({ release, enabled }) => {
      for (const table of enabled) process.stderr.write(`c2y: CDC enabled on ${table}\n`);
      process.stderr.write(`c2y: reading cdc_raw with Cassandra ${release}'s commit-log reader\n`);
    },
  })) {
    if (line.type === 'change') last = { segment: line.segment, position: line.position };
    const warning = line.type === 'caught-up' ? cdcSpaceWarning(line) : undefined;
    // Once per crossing, not at every poll.
    if (warning !== undefined && !warned) process.stderr.write(`c2y: warning: ${warning}\n`);
    if (line.type === 'caught-up') warned = warning !== undefined;
    const shown = options['decode'] === true && line.type === 'change' ? { type: 'change', ...decoder.decode(line) } : line;
    process.stdout.write(`${JSON.stringify(shown)}\n`);
  }
  if (job.signal.aborted) {
    throw new C2yError('INTERRUPTED', 'the agent was stopped', { hint: last ? `continue after the last change printed: --from ${formatPosition(last)}` : 'start it again' });
  }
}

/** --publish: the node's changes into Redis until Ctrl-C, a line on stderr every 10 s. */
async function publish(options: Record<string, unknown>, job: AgentJob): Promise<void> {
  const { redis } = job.config;
  if (redis === undefined) throw new C2yError('CONFIG_INVALID', '--publish needs the Redis to publish to', { hint: 'add --redis redis://host:6379 (the one migrate --live is given)' });
  if (options['from'] !== undefined || options['decode'] === true) throw new C2yError('CONFIG_INVALID', '--publish goes on after what it published last: --from and --decode are not for it', { hint: 'drop --from / --decode' });
  const signer = RunSigner.fromEnv(process.env, 'c2y cdc agent --publish');
  const node = cdcNodeOf(`${job.files.yaml},${job.files.libDir}`);
  process.stderr.write(`c2y: publishing the changes of ${job.tables.map((t) => `${job.config.source.keyspace}.${t}`).join(', ')} on node ${node.name} to ${redactUrl(redis)}\n`);
  let shownAt = 0;
  await publishChanges({
    config: job.config, tables: job.tables, node, feed: { redisUrl: redis, signer }, enableCdc: options['enableCdc'] === true, pollMs: job.pollMs, signal: job.signal,
    onCaughtUp: ({ position, published, released }) => {
      if (Date.now() - shownAt < 10_000) return;
      shownAt = Date.now();
      process.stderr.write(`c2y: published ${published} change(s) up to ${formatPosition(position)}${released === null ? '' : `; applied below segment ${released}`}\n`);
    },
  });
  if (job.signal.aborted) throw new C2yError('INTERRUPTED', `the publisher of ${node.name} was stopped`, { hint: 'start it again: it goes on after the last change it published (the appliers show this node as down meanwhile)' });
}

export function cdcCommand(): Command {
  return new Command('cdc').description(summaryOf('cdc')).addCommand(agentCommand());
}
