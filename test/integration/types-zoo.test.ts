import { describe, expect, it } from 'vitest';
import { canonicalValue } from '../../src/schema/index.js';
import { loadTestData, typesZooRow, zooReadBack, zooCounter, ZOO_ROWS_PER_PARTITION } from '../../src/testbed/index.js';
import { RING, cassandraClient, uniqueName } from '../helpers/servers.js';

const SEED = 7;
const ROWS = 40;

describe('types_zoo', () => {
  it('reads back every column through the Node driver with the value that was written', async () => {
    const keyspace = uniqueName('zoo');
    await loadTestData({ contactPoints: [...RING], keyspace, rows: 0, zooRows: ROWS, seed: SEED, log: () => undefined });
    const client = await cassandraClient(keyspace);
    try {
      const result = await client.execute('SELECT * FROM types_zoo', [], { fetchSize: 1000 });
      const columns = result.columns.map((column) => column.name);
      expect(columns).toHaveLength(34);
      expect(result.rows).toHaveLength(ROWS);
      const byKey = new Map(result.rows.map((row) => [`${row['id']}/${row['seq']}`, row]));
      const staticOf = new Map<number, unknown>();
      for (let index = 0; index < ROWS; index++) {
        const row = typesZooRow(SEED, index);
        if (row['c_static'] !== undefined) staticOf.set(row['id'] as number, row['c_static']);
      }
      let compared = 0;
      const differences: string[] = [];
      for (let index = 0; index < ROWS; index++) {
        const written = zooReadBack(typesZooRow(SEED, index));
        const read = byKey.get(`${written['id']}/${written['seq']}`);
        expect(read, `row ${index}`).toBeDefined();
        for (const column of columns) {
          const expected = column === 'c_static' ? staticOf.get(written['id'] as number) : written[column];
          const want = canonicalValue(expected);
          const got = canonicalValue(read?.[column]);
          if (want !== got) differences.push(`row ${index} ${column}: wrote ${want.slice(0, 120)} read ${got.slice(0, 120)}`);
          compared++;
        }
      }
      expect(differences).toEqual([]);
      expect(compared).toBe(ROWS * 34);

      const counters = await client.execute('SELECT id, c_counter FROM types_zoo_counters');
      expect(counters.rows).toHaveLength(ROWS);
      for (const row of counters.rows) expect(row['c_counter']).toBe(zooCounter(SEED, row['id'] as number));
      expect(ZOO_ROWS_PER_PARTITION).toBeGreaterThan(1);
    } finally {
      await client.shutdown();
    }
  });

  it('canonical form tells different values apart', () => {
    const a = typesZooRow(SEED, 10);
    const b = typesZooRow(SEED, 11);
    const differing = Object.keys(a).filter((key) => canonicalValue(a[key]) !== canonicalValue(b[key]));
    expect(differing.length).toBeGreaterThan(25);
    expect(canonicalValue(new Set([1, 2]))).toBe(canonicalValue(new Set([2, 1])));
    expect(canonicalValue(0)).not.toBe(canonicalValue(-0));
    expect(canonicalValue(1n)).not.toBe(canonicalValue(1));
  });
});
