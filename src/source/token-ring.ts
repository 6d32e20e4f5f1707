import type { RingRange } from '../plan/index.js';
import type { CassandraClient } from './cassandra-session.js';

/** The ring's ranges as the driver's metadata knows them, each with its replicas for this keyspace. */
export function readRing(client: CassandraClient, keyspace: string): RingRange[] {
  const ranges: RingRange[] = [];
  for (const range of client.metadata.getTokenRanges()) {
    const replicas = client.metadata.getReplicas(keyspace, range).map((host) => host.address);
    ranges.push({ start: BigInt(range.start.toString()), end: BigInt(range.end.toString()), replicas });
  }
  return ranges;
}
