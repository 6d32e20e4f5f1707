import type { Command } from 'commander';

/**
 * Every subcommand: its one-line summary and how to build it. Only the command being run is loaded, so `c2y --help`
 * and each command pay for their own dependencies alone (the Cassandra driver, BullMQ, the dashboard…).
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'migrate', summary: 'copy one Cassandra table into YSQL/PostgreSQL: token splits → executors × cores → one COPY stream each', load: async () => (await import('./migrate-command.js')).migrateCommand() },
  { name: 'catchup', summary: 'after a finished run, while the source is still written: write the rows written since it began (upserts, exactly once) and delete those the source no longer has', load: async () => (await import('./catchup-command.js')).catchupCommand() },
  { name: 'cutover', summary: 'switch over: refused unless the last catch-up pass was short enough; says when to freeze writes, runs the final pass, and says "switch" with the freeze\'s seconds once the target matches', load: async () => (await import('./cutover-command.js')).cutoverCommand() },
  { name: 'cdc', summary: 'change data capture from Cassandra\'s CDC log: `c2y cdc agent` runs on a node and streams the table\'s changes, with their positions', load: async () => (await import('./cdc-command.js')).cdcCommand() },
  { name: 'plan', summary: 'measure the table and the network, and print partitions, memory, connections and expected throughput before anything is written (without --table: every table of the keyspace)', load: async () => (await import('./plan-command.js')).planCommand() },
  { name: 'schema', summary: 'print the target DDL for the source table (or, without --table, every table of the keyspace); --apply creates it', load: async () => (await import('./schema-command.js')).schemaCommand() },
  { name: 'validate', summary: 'compare source and target row by row (counts and digests per bucket, then the keys that differ); --repair fixes them', load: async () => (await import('./validate-command.js')).validateCommand() },
  { name: 'worker', summary: 'serve distributed runs from Redis: pull split jobs and run them, as an executor of a local run would', load: async () => (await import('./worker-command.js')).workerCommand() },
  { name: 'status', summary: 'runs and their splits: local ones from the target\'s c2y.runs, distributed ones (--redis) from Redis with their workers', load: async () => (await import('./status-command.js')).statusCommand() },
  { name: 'tune', summary: 'change a running run\'s rate limits (source.readsPerSecond, target.rowsPerSecond, target.bytesPerSecond); it applies them within seconds', load: async () => (await import('./tune-command.js')).tuneCommand() },
  { name: 'ui', summary: 'serve a finished run\'s dashboard read-only from its run folder', load: async () => (await import('./ui-command.js')).uiCommand() },
  { name: 'init', summary: 'check that the source table and the target answer, then write a commented c2y.yaml for them', load: async () => (await import('./init-command.js')).initCommand() },
  { name: 'demo', summary: 'start Cassandra from jars (or reuse the running ring), load events, migrate it into the local PostgreSQL', load: async () => (await import('./demo-command.js')).demoCommand() },
  { name: 'testbed', summary: 'real Cassandra and PostgreSQL on loopback, for tests and the demo', load: async () => (await import('./testbed-command.js')).testbedCommand() },
];

export function summaryOf(name: string): string {
  return COMMANDS.find((entry) => entry.name === name)?.summary ?? '';
}
