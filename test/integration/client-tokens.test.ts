import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistencyCode, describeTable, rawReadPath, scanRanges, type CassandraClient } from '../../src/source/index.js';
import { cassandraClient, uniqueName } from '../helpers/servers.js';

/**
 * A range scan read as raw pages selects no `token(…)`: c2y hashes each partition's key itself. Against the real
 * ring, every row's hashed token must be the one Cassandra gives it, for every key type a partition key can have,
 * single and composite, with bytes ≥ 0x80 in the hash's tail and keys longer than its 16-byte blocks.
 */
const RING_START = -(2n ** 63n);
const RING_END = 2n ** 63n - 1n;
let client: CassandraClient;
let keyspace: string;

const TABLES: Record<string, { readonly key: string; readonly columns: string; readonly row: (n: number) => unknown[] }> = {
  composite: {
    key: '(t, b, v, d, i, f, dt, tu, bl, u)',
    columns: 't text, b bigint, v varint, d decimal, i inet, f double, dt date, tu frozen<tuple<int, text>>, bl blob, u uuid, c int, x text',
    row: (n) => [`ключ ${n} ☃`, BigInt(n) * -7_000_000_000n, (-1n) ** BigInt(n) * 10n ** BigInt(n % 30), cassandra.types.BigDecimal.fromString(`${n}.0${n}`),
      `10.0.${n % 256}.${(n * 7) % 256}`, n / 3, new cassandra.types.LocalDate(1970 + (n % 300), 1 + (n % 12), 1 + (n % 28)),
      new cassandra.types.Tuple(n, `s${n}`), Buffer.from(Array.from({ length: n % 40 }, (_, k) => (n * 31 + k * 97) & 255)), cassandra.types.Uuid.random(), n % 3, 'x'],
  },
  texts: { key: '(k)', columns: 'k text, c int, x text', row: (n) => [`${'é'.repeat(n % 30)}${n}\u00ff`, 0, 'x'] },
  blobs: { key: '(k)', columns: 'k blob, c int, x text', row: (n) => [Buffer.from(Array.from({ length: 1 + (n % 50) }, (_, k) => 255 - ((n + k) & 127))), 0, 'x'] },
  maps: { key: '(k)', columns: 'k frozen<map<text, int>>, c int, x text', row: (n) => [{ [`a${n}`]: n, [`b${n % 7}`]: -n }, 0, 'x'] },
  bigints: { key: '(k)', columns: 'k bigint, c int, x text', row: (n) => [BigInt(n) * -123_456_789_012n, 0, 'x'] },
};

beforeAll(async () => {
  keyspace = uniqueName('tokens');
  client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  for (const [name, table] of Object.entries(TABLES)) {
    await client.execute(`CREATE TABLE ${keyspace}.${name} (${table.columns}, PRIMARY KEY (${table.key}, c))`);
    // A column's name is its definition's first word; definitions are split at the commas outside <…>.
    const names = table.columns.split(/,\s*(?![^<]*>)/).map((column) => column.trim().split(' ')[0]);
    const insert = `INSERT INTO ${keyspace}.${name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
    for (let n = 0; n < 300; n++) await client.execute(insert, table.row(n), { prepare: true });
  }
}, 240_000);
afterAll(async () => {
  await client?.shutdown();
});

/** What Cassandra itself says, row by row in ring order. */
async function cassandraTokens(cql: string): Promise<bigint[]> {
  const tokens: bigint[] = [];
  let pageState: string | undefined;
  do {
    const result = await client.execute(cql, [], { prepare: true, fetchSize: 100, ...(pageState ? { pageState } : {}) });
    tokens.push(...result.rows.map((row) => BigInt(String(row['t']))));
    pageState = result.pageState ?? undefined;
  } while (pageState);
  return tokens;
}

describe('tokens hashed from raw pages', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    it(`${name}: every row's token is Cassandra's token(${table.key.slice(1, -1)})`, async () => {
      const source = await describeTable(client, keyspace, name);
      const decoder = rawReadPath(client).decoder;
      expect(decoder, 'the raw page hook holds in this process').toBeDefined();
      // Four ranges of the ring, so the range check of each statement is exercised at its edges.
      const quarter = (RING_END - RING_START) / 4n;
      const cuts = [RING_START, RING_START + quarter, RING_START + 2n * quarter, RING_START + 3n * quarter, RING_END];
      const ranges = cuts.slice(1).map((end, index) => ({ start: cuts[index] as bigint, end, replicas: [] }));
      const hashed: bigint[] = [];
      for await (const page of scanRanges({ client, table: source, ranges, fetchSize: 37, consistency: consistencyCode('ONE'), replicaOffset: 0, rawPages: decoder })) {
        // No token cell: the scan did not ask Cassandra for token(…), so every token below was hashed here.
        expect(page.raw?.columns.map((column) => column.name)).toEqual(source.columns.map((_, index) => `c${index}`));
        for (let row = 0; row < page.length; row++) hashed.push(page.token(row));
        page.release();
      }
      const told = await cassandraTokens(`SELECT token(${table.key.slice(1, -1)}) AS t FROM ${keyspace}.${name}`);
      expect(hashed.length).toBe(300);
      expect(hashed).toEqual(told);
    });
  }
});
