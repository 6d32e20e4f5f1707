import { Command } from 'commander';
import { join } from 'node:path';
import { summaryOf } from './command-table.js';
import { addConfigOptions, configWithPasswords } from './config-options.js';
import { cdcSpaceWarning, changeStream, formatPosition, parsePosition, type LogPosition } from '../cdc/index.js';
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
  const command = new Command('agent').description('on a Cassandra node: read its cdc_raw with Cassandra\'s own commit-log reader and print each change to the table as a JSON line, in log order, with its position');
  // The source's settings only: the agent reads one node's log for one table, and writes nowhere.
  addConfigOptions(command, (key) => ['source.contactPoints', 'source.keyspace', 'source.table', 'logLevel'].includes(key))
    .option('--node-dir <dir>', 'the node\'s Cassandra home (conf/cassandra.yaml, lib/)')
    .option('--yaml <file>', 'the node\'s cassandra.yaml (cdc_raw_directory and commit-log settings)')
    .option('--lib <dir>', 'the node\'s Cassandra lib folder; the agent is compiled and run on these jars')
    .option('--from <position>', 'start after this position (<segment>:<offset>, as printed), e.g. the last one applied')
    .option('--follow', 'keep reading as Cassandra writes (without it: stop once caught up)')
    .option('--enable-cdc', 'turn CDC on for the table (ALTER TABLE … WITH cdc = true) if it is off, instead of refusing')
    .option('--decode', 'print values decoded by the table\'s types (canonical text) instead of the agent\'s hex lines')
    .option('--poll-ms <n>', 'how often to look for new changes with --follow', '500')
    .action(async (options: Record<string, unknown>) => {
      const { config } = await configWithPasswords(options);
      const files = nodeFiles(options);
      const from = typeof options['from'] === 'string' ? parsePosition(options['from']) : undefined;
      const pollMs = Number(options['pollMs']);
      if (!(Number.isInteger(pollMs) && pollMs > 0)) throw new C2yError('CONFIG_INVALID', `--poll-ms must be a whole number above 0, got "${String(options['pollMs'])}"`, { hint: 'e.g. --poll-ms 500' });
      const controller = new AbortController();
      const onInterrupt = (): void => controller.abort();
      process.once('SIGINT', onInterrupt);
      process.once('SIGTERM', onInterrupt);
      let last: LogPosition | undefined = from;
      let warned = false;
      try {
        for await (const { line, decoder } of changeStream({
          config, ...files, from, follow: options['follow'] === true, enableCdc: options['enableCdc'] === true, pollMs, signal: controller.signal,
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
      } finally {
        process.off('SIGINT', onInterrupt);
        process.off('SIGTERM', onInterrupt);
      }
      if (controller.signal.aborted) {
        throw new C2yError('INTERRUPTED', 'the agent was stopped', { hint: last ? `continue after the last change printed: --from ${formatPosition(last)}` : 'start it again' });
      }
    });
  return command;
}

export function cdcCommand(): Command {
  return new Command('cdc').description(summaryOf('cdc')).addCommand(agentCommand());
}
