import { Command, Option } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError } from '../errors/index.js';
import {
  cassandraStatus, killCassandraNode, loadTestData, postgresRunning, startCassandra, startPostgres,
  stopCassandra, stopPostgres, testbedPgPort, TESTBED_PG_ADDRESSES, wipeCassandra, nodeAddress,
} from '../testbed/index.js';

const say = (line: string): void => {
  process.stdout.write(line + '\n');
};

function positiveInt(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
      throw new C2yError('CONFIG_INVALID', `--${name} must be a whole number, got "${value}"`, { hint: `e.g. --${name} 100000` });
    }
    return parsed;
  };
}

export function testbedCommand(): Command {
  const testbed = new Command('testbed').description(summaryOf('testbed'));

  const cassandra = testbed.command('cassandra').description('Apache Cassandra 5.0 from Maven Central jars');
  cassandra.command('start')
    .description('start (or reuse) a 1- or 3-node ring on 127.0.0.1..3:9042')
    .addOption(new Option('--nodes <n>', 'ring size').choices(['1', '3']).default('1'))
    .option('--heap <size>', 'JVM heap per node', '1g')
    .option('--timeout <seconds>', 'give up on a node after this long', positiveInt('timeout'), 180)
    .action(async (options: { nodes: string; heap: string; timeout: number }) => {
      const result = await startCassandra({ nodes: Number(options.nodes), heap: options.heap, timeoutMs: options.timeout * 1000, log: say });
      say(`cassandra ready: ${options.nodes} node(s), started [${result.started.join(', ')}], reused [${result.reused.join(', ')}], ${result.seconds.toFixed(1)} s`);
    });
  cassandra.command('stop')
    .description('stop every node (SIGTERM, then SIGKILL after the grace period)')
    .option('--wipe', 'also delete the nodes\' data')
    .action(async (options: { wipe?: boolean }) => {
      await stopCassandra(say);
      if (options.wipe) await wipeCassandra();
      say('cassandra stopped');
    });
  cassandra.command('status').description('list nodes, pids and whether CQL answers').action(async () => {
    const statuses = await cassandraStatus(3);
    if (statuses.length === 0) say('no test bed nodes');
    for (const s of statuses) say(`node ${s.node} ${s.address}:9042 ${s.pid === undefined ? 'down' : `pid ${s.pid}`} cql ${s.cqlOpen ? 'up' : 'down'} log ${s.logFile}`);
  });
  cassandra.command('kill')
    .description('kill -9 one node (fault tests)')
    .requiredOption('--node <n>', 'node number 1..3', positiveInt('node'))
    .action((options: { node: number }) => {
      const pid = killCassandraNode(options.node);
      say(`killed node ${options.node} (${nodeAddress(options.node)}), pid ${pid}`);
    });

  const postgres = testbed.command('postgres').description('a PostgreSQL instance reached through 127.0.0.1..3 on one port');
  postgres.command('start').action(() => {
    const result = startPostgres(say);
    say(`postgres ${result.reused ? 'already running' : 'started'} on ${result.addresses.join(', ')} port ${result.port}`);
  });
  postgres.command('stop').action(() => stopPostgres(say));
  postgres.command('status').action(() => {
    say(postgresRunning() ? `postgres running on ${TESTBED_PG_ADDRESSES.join(', ')} port ${testbedPgPort()}` : 'postgres not running');
  });

  testbed.command('load')
    .description('create and fill the events and types_zoo tables, deterministically from a seed')
    .option('--keyspace <name>', 'keyspace to create', 'c2y_demo')
    .option('--rows <n>', 'events rows', positiveInt('rows'), 100_000)
    .option('--zoo-rows <n>', 'types_zoo rows', positiveInt('zoo-rows'), 200)
    .option('--seed <n>', 'data seed', positiveInt('seed'), 42)
    .option('--rf <n>', 'replication factor (default: number of nodes)', positiveInt('rf'))
    .option('--contact-points <list>', 'Cassandra nodes', '127.0.0.1')
    .option('--concurrency <n>', 'partition batches in flight', positiveInt('concurrency'), 32)
    .action(async (options: { keyspace: string; rows: number; zooRows: number; seed: number; rf?: number; contactPoints: string; concurrency: number }) => {
      const result = await loadTestData({
        contactPoints: options.contactPoints.split(','), keyspace: options.keyspace, rows: options.rows, zooRows: options.zooRows,
        seed: options.seed, concurrency: options.concurrency, log: say,
        ...(options.rf === undefined ? {} : { replicationFactor: options.rf }),
      });
      say(`loaded ${options.keyspace}: events ${result.eventsRows}, types_zoo ${result.zooRows}, RF ${result.replicationFactor}, ${result.seconds.toFixed(1)} s, ${Math.round(result.rowsPerSecond)} rows/s`);
    });
  return testbed;
}
