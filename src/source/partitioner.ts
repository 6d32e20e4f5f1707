import { C2yError } from '../errors/index.js';
import type { CassandraClient } from './cassandra-session.js';

const MURMUR3 = 'org.apache.cassandra.dht.Murmur3Partitioner';

/** The cluster's partitioner, as the node c2y is connected to states it in system.local. */
export async function readPartitioner(client: CassandraClient): Promise<string> {
  const result = await client.execute('SELECT partitioner FROM system.local');
  return String(result.rows[0]?.['partitioner'] ?? '');
}

/**
 * c2y's splits, checkpoints and coverage check are cut on Murmur3's ring ]-2^63, 2^63-1]. Any other partitioner's
 * tokens (RandomPartitioner's [0, 2^127], ByteOrdered's bytes) would be scanned in part or not at all, so refuse.
 */
export function checkPartitioner(partitioner: string): void {
  if (partitioner === MURMUR3) return;
  throw new C2yError('PARTITIONER_UNSUPPORTED', `the source cluster uses ${partitioner || 'an unknown partitioner'}; c2y reads only Murmur3Partitioner's token ring ]-2^63, 2^63-1]`, {
    hint: 'nothing was read or written; a cluster on another partitioner cannot be split by token here yet (open an issue with its name)',
    context: { partitioner },
  });
}
