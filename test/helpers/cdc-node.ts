import cassandra from 'cassandra-driver';
import { cdcNodeFiles, startCdcCassandra, stopCdcCassandra } from '../../src/testbed/index.js';
import { livePid } from '../../src/testbed/process-control.js';

export interface CdcNodeFixture {
  readonly node: Awaited<ReturnType<typeof startCdcCassandra>>;
  readonly client: cassandra.Client;
  /** Shuts the client, and the node if this fixture started it (one left running by the developer stays up). */
  close(): Promise<void>;
}

/** The test bed's CDC node (started unless running) with a keyspace of RF 1 on it, and a client. */
export async function cdcNodeFixture(keyspace: string): Promise<CdcNodeFixture> {
  const startedHere = livePid(cdcNodeFiles().pidFile) === undefined;
  const node = await startCdcCassandra(() => undefined);
  const client = new cassandra.Client({ contactPoints: [node.address], localDataCenter: 'datacenter1' });
  await client.connect();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  return {
    node, client,
    close: async () => {
      await client.shutdown();
      if (startedHere) await stopCdcCassandra(true);
    },
  };
}
