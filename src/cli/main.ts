import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeOf, isC2yError } from '../errors/index.js';
import { demoCommand } from './demo-command.js';
import { migrateCommand } from './migrate-command.js';
import { planCommand } from './plan-command.js';
import { schemaCommand } from './schema-command.js';
import { validateCommand } from './validate-command.js';
import { testbedCommand } from './testbed-command.js';
import { uiCommand } from './ui-command.js';
import { workerCommand } from './worker-command.js';
import { statusCommand } from './status-command.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('c2y')
    .description('Migrate Apache Cassandra tables into YugabyteDB YSQL or PostgreSQL, exactly once, with parallel COPY streams')
    .version('0.1.0')
    .exitOverride();
  program.addCommand(migrateCommand());
  program.addCommand(planCommand());
  program.addCommand(schemaCommand());
  program.addCommand(validateCommand());
  program.addCommand(workerCommand());
  program.addCommand(statusCommand());
  program.addCommand(uiCommand());
  program.addCommand(demoCommand());
  program.addCommand(testbedCommand());
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
    if (isC2yError(error)) {
      const exitCode = exitCodeOf(error.code);
      process.stderr.write(json
        ? JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode, retryable: error.retryable } }) + '\n'
        : `c2y: ${error.describe()}\n`);
      return exitCode;
    }
    const message = error instanceof Error ? (process.env.C2Y_DEBUG ? error.stack ?? error.message : error.message) : String(error);
    process.stderr.write(json ? JSON.stringify({ error: { code: 'UNEXPECTED', message, hint: 'this is a bug in c2y: please report it with the run folder', exitCode: EXIT.bug } }) + '\n' : `c2y: unexpected error: ${message}\n`);
    return EXIT.bug;
  }
}

process.exitCode = await main(process.argv);
