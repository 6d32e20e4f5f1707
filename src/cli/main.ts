import { Command, CommanderError } from 'commander';
import { CodedError, EXIT, targetServerError } from '../errors/index.js';
import { COMMANDS } from './command-table.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('c2y')
    .description('Migrate Apache Cassandra tables into YugabyteDB YSQL or PostgreSQL, exactly once, with parallel COPY streams')
    .version('0.1.0')
    .exitOverride();
  // Only the command being run is built (and its modules loaded); for help or a misspelt name, summaries suffice.
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  const named = COMMANDS.find((entry) => entry.name === name);
  if (named) program.addCommand(await named.load());
  else for (const entry of COMMANDS) program.command(entry.name).description(entry.summary);
  // Usage errors of subcommands too: commander applies exitOverride only to the command it is called on.
  const overrideAll = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(overrideAll);
  };
  overrideAll(program);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    // A command that finished but not cleanly (e.g. done with rejects) says so through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.done;
  } catch (error) {
    // Commander's own usage errors (unknown option, missing argument) are bad usage too; --help and --version are not errors.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.done : EXIT.usage;
    const typed = error instanceof CodedError ? error : targetServerError(error);
    if (typed) {
      const { exitCode } = typed;
      process.stderr.write(json
        ? JSON.stringify({ error: { code: typed.code, message: typed.message, hint: typed.hint ?? null, exitCode, retryable: typed.retryable } }) + '\n'
        : `c2y: ${typed.describe()}\n`);
      return exitCode;
    }
    const message = error instanceof Error ? (process.env.C2Y_DEBUG ? error.stack ?? error.message : error.message) : String(error);
    process.stderr.write(json ? JSON.stringify({ error: { code: 'UNEXPECTED', message, hint: 'this is a bug in c2y: please report it with the run folder', exitCode: EXIT.bug } }) + '\n' : `c2y: unexpected error: ${message}\n`);
    return EXIT.bug;
  }
}

process.exitCode = await main(process.argv);
