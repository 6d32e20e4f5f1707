import { Command, CommanderError } from 'commander';
import { isC2yError } from '../errors/index.js';
import { demoCommand } from './demo-command.js';
import { migrateCommand } from './migrate-command.js';
import { planCommand } from './plan-command.js';
import { schemaCommand } from './schema-command.js';
import { validateCommand } from './validate-command.js';
import { testbedCommand } from './testbed-command.js';
import { uiCommand } from './ui-command.js';
import { workerCommand } from './worker-command.js';
import { statusCommand } from './status-command.js';

const EXIT_INTERRUPTED = 130;

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
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isC2yError(error)) {
      process.stderr.write(`c2y: ${error.describe()}\n`);
      return error.code === 'INTERRUPTED' ? EXIT_INTERRUPTED : 1;
    }
    process.stderr.write(`c2y: unexpected error: ${error instanceof Error ? (process.env.C2Y_DEBUG ? error.stack : error.message) : String(error)}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv);
