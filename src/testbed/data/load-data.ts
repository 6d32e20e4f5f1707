import { openCassandra, type CassandraClient, type SessionOptions } from '../../source/index.js';
import { EVENTS_COLUMNS, EVENTS_ROWS_PER_PARTITION, eventsDdl, eventsRow } from './events-table.js';
import { containsEmptyCollection, cqlLiteral } from './cql-literal.js';
import { typesZooDdl, typesZooRow, zooCounter } from './types-zoo.js';

export interface LoadOptions {
  readonly contactPoints: readonly string[];
  readonly keyspace: string;
  /** events rows; 0 skips the table. */
  readonly rows: number;
  /** types_zoo rows; 0 skips the table. */
  readonly zooRows: number;
  readonly seed: number;
  /** Replication factor; the number of live nodes when omitted. */
  readonly replicationFactor?: number;
  /** Partition batches in flight at once: the memory bound of the loader. */
  readonly concurrency?: number;
  readonly log: (line: string) => void;
  /** Credentials and TLS, for a secured node. */
  readonly session?: Pick<SessionOptions, 'username' | 'password' | 'tls' | 'tlsCa'>;
}

export interface LoadResult {
  readonly replicationFactor: number;
  readonly eventsRows: number;
  readonly zooRows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export async function loadTestData(options: LoadOptions): Promise<LoadResult> {
  const client = await openCassandra({
    contactPoints: [...options.contactPoints], port: 9042, localDataCenter: 'datacenter1',
    consistency: 'QUORUM', fetchSize: 5000, ...options.session,
  });
  try {
    const liveNodes = client.getState().getConnectedHosts().length || 1;
    const allNodes = client.hosts.length;
    const rf = options.replicationFactor ?? Math.max(allNodes, liveNodes);
    const ks = quoteIdent(options.keyspace);
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': ${rf}}`);
    const began = Date.now();
    if (options.rows > 0) await loadEvents(client, ks, options);
    if (options.zooRows > 0) await loadZoo(client, ks, options);
    const seconds = (Date.now() - began) / 1000;
    const total = options.rows + options.zooRows;
    return { replicationFactor: rf, eventsRows: options.rows, zooRows: options.zooRows, seconds, rowsPerSecond: total / Math.max(seconds, 0.001) };
  } finally {
    await client.shutdown();
  }
}

async function loadEvents(client: CassandraClient, ks: string, options: LoadOptions): Promise<void> {
  await client.execute(eventsDdl(ks));
  const insert = `INSERT INTO ${ks}.events (${EVENTS_COLUMNS.join(', ')}) VALUES (${EVENTS_COLUMNS.map(() => '?').join(', ')})`;
  const partitions = Math.ceil(options.rows / EVENTS_ROWS_PER_PARTITION);
  let nextPartition = 0;
  let written = 0;
  const began = Date.now();
  let lastReport = began;
  const worker = async (): Promise<void> => {
    while (nextPartition < partitions) {
      const partition = nextPartition++;
      const first = partition * EVENTS_ROWS_PER_PARTITION;
      const last = Math.min(first + EVENTS_ROWS_PER_PARTITION, options.rows);
      const queries = [];
      for (let index = first; index < last; index++) queries.push({ query: insert, params: eventsRow(options.seed, index) });
      // One partition per unlogged batch: a single mutation on one replica set, the cheapest write Cassandra has.
      await client.batch(queries, { prepare: true, logged: false });
      written += last - first;
      const now = Date.now();
      if (now - lastReport >= 5000) {
        lastReport = now;
        options.log(`events: ${written.toLocaleString('en-US')} / ${options.rows.toLocaleString('en-US')} rows, ${Math.round(written / ((now - began) / 1000)).toLocaleString('en-US')} rows/s`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
  const seconds = (Date.now() - began) / 1000;
  options.log(`events: ${written.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s, ${Math.round(written / seconds).toLocaleString('en-US')} rows/s`);
}

async function loadZoo(client: CassandraClient, ks: string, options: LoadOptions): Promise<void> {
  for (const ddl of typesZooDdl(ks)) await client.execute(ddl);
  // Counters only add: a repeated load must not double them.
  await client.execute(`TRUNCATE ${ks}.types_zoo_counters`);
  const indexes = Array.from({ length: options.zooRows }, (_, index) => index);
  const worker = async (): Promise<void> => {
    for (let index = indexes.shift(); index !== undefined; index = indexes.shift()) {
      const row = typesZooRow(options.seed, index);
      const columns = Object.keys(row);
      const literal = columns.map((column) => containsEmptyCollection(row[column]));
      await client.execute(
        `INSERT INTO ${ks}.types_zoo (${columns.join(', ')}) VALUES (${columns.map((column, i) => (literal[i] ? cqlLiteral(row[column]) : '?')).join(', ')})`,
        columns.filter((_, i) => !literal[i]).map((column) => row[column]),
        { prepare: true },
      );
      await client.execute(`UPDATE ${ks}.types_zoo_counters SET c_counter = c_counter + ? WHERE id = ?`, [zooCounter(options.seed, index), index], { prepare: true });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  options.log(`types_zoo: ${options.zooRows} rows, types_zoo_counters: ${options.zooRows} counters`);
}
