import { afterAll, describe, expect, it } from 'vitest';
import cassandra from 'cassandra-driver';
import { killCassandraNode, startCassandra } from '../../src/testbed/index.js';
import { RING, cassandraClient, uniqueName } from '../helpers/servers.js';

describe('3-node test ring', () => {
  afterAll(async () => {
    // The ring is shared by the whole run: bring the killed node back.
    await startCassandra({ nodes: 3, log: () => undefined });
  });

  it('every node lists the other two in system.peers', async () => {
    const client = await cassandraClient();
    try {
      for (const host of client.hosts.values()) {
        const result = await client.execute('SELECT peer FROM system.peers', [], { host, prepare: false });
        const peers = result.rows.map((row) => String(row['peer'])).sort();
        const self = host.address.split(':')[0];
        expect(peers).toEqual(RING.filter((address) => address !== self));
      }
      expect(client.hosts.length).toBe(3);
    } finally {
      await client.shutdown();
    }
  });

  it('reads an RF=3 keyspace at QUORUM with one node killed', async () => {
    const keyspace = uniqueName('ring');
    const client = await cassandraClient();
    try {
      await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
      await client.execute(`CREATE TABLE ${keyspace}.kv (k int PRIMARY KEY, v text)`);
      for (let k = 0; k < 50; k++) await client.execute(`INSERT INTO ${keyspace}.kv (k, v) VALUES (?, ?)`, [k, `v${k}`], { consistency: cassandra.types.consistencies.all });
      killCassandraNode(3);
      const quorum = cassandra.types.consistencies.quorum;
      let rows = 0;
      for (let k = 0; k < 50; k++) {
        const result = await client.execute(`SELECT v FROM ${keyspace}.kv WHERE k = ?`, [k], { consistency: quorum });
        expect(result.first()?.['v']).toBe(`v${k}`);
        rows++;
      }
      expect(rows).toBe(50);
      // ALL must now fail: proof that a replica really is gone.
      await expect(client.execute(`SELECT v FROM ${keyspace}.kv WHERE k = 1`, [], { consistency: cassandra.types.consistencies.all })).rejects.toThrow();
    } finally {
      await client.shutdown();
    }
  });
});
