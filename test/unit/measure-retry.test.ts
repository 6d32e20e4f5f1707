import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import type { SourceTable } from '../../src/schema/index.js';
import { estimateTableSize, type CassandraClient } from '../../src/source/index.js';

const table: SourceTable = {
  keyspace: 'ks', name: 't', partitionKeys: ['id'], clusteringKeys: [],
  columns: [{ name: 'id', cqlType: 'int', role: 'partition' }] as unknown as SourceTable['columns'],
};

/** A client whose reads fail as a busy ring's do (`failures` times, with `error`), then answer. */
const queries: string[] = [];

function busyClient(failures: number, error: () => Error): { client: CassandraClient; calls: () => number } {
  let calls = 0;
  const client = {
    hosts: new Map(),
    execute: async (cql: string) => {
      calls++;
      queries.push(cql);
      if (calls <= failures) throw error();
      return { first: () => ({ n: 3 }), rows: cql.includes('LIMIT 200') ? [{ id: 1 }] : [], pageState: null };
    },
  };
  return { client: client as unknown as CassandraClient, calls: () => calls };
}

const readTimeout = (): Error => Object.assign(new Error('Server timeout during read query at consistency LOCAL_QUORUM (0 replica(s) responded over 2 required)'), { code: cassandra.types.responseErrorCodes.readTimeout });

describe('measuring the table before a run', () => {
  it('asks a read that timed out again: a busy node does not fail the run before its first row', async () => {
    const { client, calls } = busyClient(2, readTimeout);
    const size = await estimateTableSize(client, table, cassandra.types.consistencies.localQuorum);
    // A small table is counted exactly, range by range (64 ranges of 3 rows here), not in one count(*) that a busy
    // node's range timeout cuts short.
    expect(size.rowsMethod).toBe('exact count');
    expect(size.rows).toBe(64 * 3);
    // 16 sampled slices, the 64 ranges and the sample, plus the two that failed.
    expect(calls()).toBe(16 + 64 + 1 + 2);
    expect(queries.some((cql) => /COUNT\(\*\) AS n FROM "ks"\."t"$/i.test(cql))).toBe(false);
  }, 20_000);

  it('gives up after four tries, and at once on an error that asking again cannot change', async () => {
    await expect(estimateTableSize(busyClient(10, readTimeout).client, table, 1)).rejects.toThrow(/Server timeout/);
    const invalid = busyClient(1, () => Object.assign(new Error('Undefined column name x'), { code: cassandra.types.responseErrorCodes.invalid }));
    await expect(estimateTableSize(invalid.client, table, 1)).rejects.toThrow(/Undefined column/);
    expect(invalid.calls()).toBe(1);
  }, 20_000);
});
