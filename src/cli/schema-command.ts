import { Command, Option } from 'commander';
import { summaryOf } from './command-table.js';
import { createTableDdl, type TargetDialect } from '../schema/index.js';
import { describeServer, ensureTargetTable, openTarget, parseTargetHosts, targetNameOf } from '../sink/index.js';
import { describeMappedTable, openCassandra, sessionOptionsOf } from '../source/index.js';
import { addConfigOptions, tableOrKeyspaceConfig } from './config-options.js';
import { keyspaceSchemaAction } from './keyspace-schema-action.js';

export function schemaCommand(): Command {
  const command = new Command('schema').description(summaryOf('schema'));
  addConfigOptions(command)
    .addOption(new Option('--dialect <dialect>', 'target dialect (default: detected from the target)').choices(['postgres', 'yugabyte']))
    .option('--apply', 'create the table (without --table: every table of the keyspace) in the target; nothing else is written')
    .option('--json', 'keyspace-wide: print the tables, their DDL and refusals as JSON')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      if ('keyspace' in chosen) {
        await keyspaceSchemaAction(chosen.keyspace, options);
        return;
      }
      const { config } = chosen.table;
      const cassandra = await openCassandra(sessionOptionsOf(config.source));
      let table;
      try {
        table = await describeMappedTable(cassandra, config);
      } finally {
        await cassandra.shutdown();
      }
      const target = targetNameOf(config.target, config.source.table);
      let dialect = options['dialect'] as TargetDialect | undefined;
      const needTarget = dialect === undefined || options['apply'] === true;
      const endpoint = parseTargetHosts(config.target.hosts, config.target.port)[0];
      const client = needTarget && endpoint ? await openTarget(endpoint, config.target, 'c2y schema') : undefined;
      try {
        if (client && dialect === undefined) dialect = (await describeServer(client)).dialect;
        const ddl = createTableDdl(table, target, dialect ?? 'postgres');
        process.stdout.write(`-- ${config.source.keyspace}.${config.source.table} → ${dialect ?? 'postgres'}\n${ddl};\n`);
        if (options['apply'] === true && client) {
          const result = await ensureTargetTable(client, table, target, dialect ?? 'postgres', true);
          process.stdout.write(result.created ? '-- created\n' : '-- the table already exists and fits the source\n');
        }
      } finally {
        await client?.end();
      }
    });
  return command;
}
