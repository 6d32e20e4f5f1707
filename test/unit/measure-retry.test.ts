import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import type { SourceTable } from '../../src/schema/index.js';
import type { C2yConfig } from '../../src/config/index.js';
import { WHOLE_RING } from '../../src/plan/index.js';
import { estimateTableSize, type CassandraClient, type SourceSelection } from '../../src/source/index.js';
import { measureTable } from '../../src/workflow/measure-table.js';

const table: SourceTable = {
  keyspace: 'ks', name: 't', partitionKeys: ['id'], clusteringKeys: [],
  columns: [{ name: 'id', cqlType: 'int', role: 'partition' }] as unknown as SourceTable['columns'],
};

/** A client whose reads fail as a busy ring's do (the first `failures` of those `failing` picks, with `error`), then answer. */
const queries: string[] = [];

function busyClient(failures: number, error: () => Error, failing: RegExp = /./): { client: CassandraClient; calls: () => number; failed: () => number } {
  let calls = 0;
  let failed = 0;
  const client = {
    hosts: new Map(),
    execute: async (cql: string) => {
      calls++;
      queries.push(cql);
      if (failing.test(cql) && failed < failures) {
        failed++;
        throw error();
      }
      return { first: () => ({ n: 3 }), rows: cql.includes('LIMIT 200') ? [{ id: 1 }] : [], pageState: null };
    },
  };
  return { client: client as unknown as CassandraClient, calls: () => calls, failed: () => failed };
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
    // The sample's read times out every time; the 16 counts beside it (asked at once) answer.
    const timingOut = busyClient(Infinity, readTimeout, /LIMIT 200/);
    await expect(estimateTableSize(timingOut.client, table, 1)).rejects.toThrow(/Server timeout/);
    expect(timingOut.failed()).toBe(4);
    const invalid = busyClient(1, () => Object.assign(new Error('Undefined column name x'), { code: cassandra.types.responseErrorCodes.invalid }));
    await expect(estimateTableSize(invalid.client, table, 1)).rejects.toThrow(/Undefined column/);
    // The 16 counts and the sample, each asked once: the one refused is not asked again.
    expect(invalid.failed()).toBe(1);
    expect(invalid.calls()).toBe(16 + 1);
  }, 20_000);
});

describe('the size a plan is cut from', () => {
  it('is never less than the rows sampled at their encoded size: size_estimates that miss the memtables do not make one split', async () => {
    // Each sampled slice counts 1,000 rows (≈ 4M in the ring); every node's size_estimates says 100 bytes in all.
    const host = { isUp: () => true, address: '127.0.0.1:9042' };
    const client = {
      hosts: new Map([['127.0.0.1:9042', host]]),
      execute: async (cql: string) => {
        if (cql.includes('size_estimates')) return { rows: [{ range_start: String(-(2n ** 63n)), range_end: String(2n ** 63n - 1n), mean_partition_size: 100, partitions_count: 1 }] };
        return { first: () => ({ n: 1000 }), rows: cql.includes('LIMIT 200') ? [{ id: 1 }, { id: 2 }] : [], pageState: null };
      },
    } as unknown as CassandraClient;
    const config = { parallelism: 64, source: { consistency: 'ONE', splitSizeMb: 1 } } as unknown as C2yConfig;
    const typed: SourceTable = { ...table, columns: [{ name: 'id', type: { kind: 'scalar', name: 'int' }, role: 'partition' }] as unknown as SourceTable['columns'] };
    const measure = await measureTable(client, config, typed, { tokens: WHOLE_RING, filter: undefined } as SourceSelection);
    expect(measure.size.estimatesBytes).toBe(100);
    expect(measure.estimatedRows).toBe(16 * 1000 * 256);
    // 4M rows of a few bytes each: several MiB, so several 1 MiB splits (the estimates alone gave 1).
    expect(measure.counts.tokenSplits).toBeGreaterThan(4);
  });
});
