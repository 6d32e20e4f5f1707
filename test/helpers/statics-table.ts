import { createHash } from 'node:crypto';
import { cassandraClient, type TestDatabase } from './servers.js';

/**
 * A source table with a static column, 20 rows a partition, and every fifth partition holding only its static cell:
 * c2y must copy every clustering row and record each static-only partition as a reject (kind static-only), once.
 */
export interface StaticsTable {
  readonly table: 'statics';
  /** Clustering rows the target must hold. */
  readonly rows: number;
  readonly staticOnlyPartitions: number;
  /** Order-independent digest of `part|id|owner|note` over the clustering rows; a duplicate adds its hash twice. */
  readonly digest: string;
}

export const STATICS_TARGET_COLUMNS = '(part integer, id integer, owner text, note text)';
const ROWS_PER_PARTITION = 20;

function fold(lines: Iterable<string>): string {
  let sum = 0n;
  for (const line of lines) sum = (sum + createHash('sha1').update(line).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
  return sum.toString(16);
}

const line = (part: number, id: number, owner: string, note: string): string => `${part}|${id}|${owner}|${note}`;

export async function loadStaticsTable(keyspace: string, partitions: number): Promise<StaticsTable> {
  const client = await cassandraClient();
  try {
    await client.execute(`CREATE TABLE IF NOT EXISTS "${keyspace}".statics (part int, id int, owner text STATIC, note text, PRIMARY KEY ((part), id))`);
    const lines: string[] = [];
    const writes: Promise<unknown>[] = [];
    let staticOnly = 0;
    for (let part = 0; part < partitions; part++) {
      const owner = `owner ${part}`;
      writes.push(client.execute(`INSERT INTO "${keyspace}".statics (part, owner) VALUES (?, ?)`, [part, owner], { prepare: true }));
      if (part % 5 === 0) {
        staticOnly++;
        continue;
      }
      for (let id = 0; id < ROWS_PER_PARTITION; id++) {
        const note = `note ${part}.${id}`;
        writes.push(client.execute(`INSERT INTO "${keyspace}".statics (part, id, note) VALUES (?, ?, ?)`, [part, id, note], { prepare: true }));
        lines.push(line(part, id, owner, note));
      }
      if (writes.length >= 200) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    return { table: 'statics', rows: lines.length, staticOnlyPartitions: staticOnly, digest: fold(lines) };
  } finally {
    await client.shutdown();
  }
}

export async function postgresStaticsDigest(db: TestDatabase, table: string): Promise<string> {
  const result = await db.query<{ part: number; id: number; owner: string; note: string }>(`SELECT part, id, owner, note FROM public."${table}"`);
  return fold(result.rows.map((row) => line(row.part, row.id, row.owner, row.note)));
}

/** Static-only rejects the target's checkpoint schema holds for `table`'s live (not superseded) runs: all and distinct keys. */
export async function recordedStaticOnly(db: TestDatabase, table: string): Promise<{ total: number; distinct: number }> {
  const result = await db.query<{ total: number; distinct_keys: number }>(
    `SELECT count(*)::int AS total, count(DISTINCT r.row_key)::int AS distinct_keys FROM c2y.rejects r JOIN c2y.runs u USING (run_id)
     WHERE u.target = $1 AND u.status <> 'superseded' AND r.kind = 'static-only'`,
    [`${db.database}.public.${table}`],
  );
  const row = result.rows[0];
  return { total: row?.total ?? 0, distinct: row?.distinct_keys ?? 0 };
}
