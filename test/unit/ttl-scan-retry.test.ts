import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import type { SourceTable } from '../../src/schema/index.js';
import { scanTtls, type CassandraClient, type KeyCodec } from '../../src/source/index.js';

const table: SourceTable = {
  keyspace: 'ks', name: 't', partitionKeys: ['id'], clusteringKeys: [],
  columns: [{ name: 'id', cqlType: 'int', role: 'partition', type: { kind: 'scalar', name: 'int' } }, { name: 'v', cqlType: 'text', role: 'regular', type: { kind: 'scalar', name: 'text' } }] as unknown as SourceTable['columns'],
};
const codec = { keyHexOf: (values: readonly unknown[]) => ({ key: [String(values[0])], clustering: [] }) } as unknown as KeyCodec;
const readTimeout = (): Error => Object.assign(new Error('Server timeout during read query at consistency ALL (2 replica(s) responded over 3 required)'), { code: cassandra.types.responseErrorCodes.readTimeout });

/** Every range holds one row whose `v` expires in 60 s; the first `failures` reads time out as a busy ring's do. */
function busyClient(failures: number, error: () => Error): { client: CassandraClient; calls: () => number } {
  let calls = 0;
  let row = 0;
  const client = {
    execute: async () => {
      calls++;
      if (calls <= failures) throw error();
      const id = row++;
      return { rows: [{ values: () => [id, 60] }], pageState: null };
    },
  };
  return { client: client as unknown as CassandraClient, calls: () => calls };
}

/**
 * The scan of the TTLs a bulk copy carried runs beside a live apply, range by range; one page that timed out ended
 * the scan, and with it the apply. A page is asked again (with its paging state) after a transient failure.
 */
describe('the TTL scan', () => {
  it('asks a page that timed out again, and finds every expiring row once', async () => {
    const { client, calls } = busyClient(2, readTimeout);
    const found: string[] = [];
    await scanTtls(client, table, codec, { consistency: 1, fetchSize: 100, signal: new AbortController().signal }, async (keys) => {
      found.push(...keys.map((key) => key.key.join()));
    });
    expect(found).toHaveLength(64);
    expect(new Set(found).size).toBe(64);
    expect(calls()).toBe(64 + 2);
  }, 20_000);

  it('ends at once on an error another try cannot change', async () => {
    const invalid = busyClient(1, () => Object.assign(new Error('Undefined column name v'), { code: cassandra.types.responseErrorCodes.invalid }));
    await expect(scanTtls(invalid.client, table, codec, { consistency: 1, fetchSize: 100, signal: new AbortController().signal }, async () => undefined)).rejects.toThrow(/Undefined column/);
  }, 20_000);
});
