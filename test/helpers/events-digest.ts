import { createHash } from 'node:crypto';
import type { CassandraClient } from '../../src/source/index.js';
import type { TestDatabase } from './servers.js';

/**
 * Count and an order-independent digest of an events table, computed on each side from that side's own values
 * (driver objects vs PostgreSQL casts), never through c2y's encoder. A duplicate adds its hash twice.
 */
export interface TableDigest {
  readonly count: number;
  readonly digest: string;
}

const SEP = '\u001f';

function rowHash(line: string): bigint {
  return createHash('sha1').update(line).digest().readBigUInt64BE(0);
}

function fold(lines: Iterable<string>): TableDigest {
  let sum = 0n;
  let count = 0;
  for (const line of lines) {
    sum = (sum + rowHash(line)) & 0xffffffffffffffffn;
    count++;
  }
  return { count, digest: sum.toString(16) };
}

const orNull = (value: unknown, text: (v: never) => string): string => (value === null || value === undefined ? '∅' : text(value as never));

export async function cassandraEventsDigest(client: CassandraClient, keyspace: string, table = 'events'): Promise<TableDigest> {
  const lines: string[] = [];
  const query = `SELECT tenant_id, bucket, event_time, event_id, kind, user_id, source_ip, amount, score, quantity, total, active, tags, payload FROM "${keyspace}"."${table}"`;
  const stream = client.stream(query, [], { prepare: true, fetchSize: 2000 }) as unknown as AsyncIterable<unknown>;
  for await (const row of stream) {
    const r = row as Record<string, unknown>;
    lines.push([
      String(r['tenant_id']), String(r['bucket']), orNull(r['event_time'], (d: Date) => String(d.getTime())), String(r['event_id']),
      orNull(r['kind'], (s: string) => s), orNull(r['user_id'], String), orNull(r['source_ip'], String), orNull(r['amount'], String),
      orNull(r['score'], (n: number) => String(n)), orNull(r['quantity'], String), orNull(r['total'], String),
      orNull(r['active'], (b: boolean) => (b ? 'true' : 'false')), orNull(r['tags'], (s: Set<string>) => [...s].join(',')), orNull(r['payload'], (s: string) => s),
    ].join(SEP));
  }
  return fold(lines);
}

export async function postgresEventsDigest(db: TestDatabase, table: string): Promise<TableDigest> {
  const result = await db.query<{ line: string }>(`SELECT concat_ws(chr(31),
      tenant_id::text, bucket::text, coalesce((extract(epoch FROM event_time) * 1000)::bigint::text, '∅'), event_id::text,
      coalesce(kind, '∅'), coalesce(user_id::text, '∅'), coalesce(host(source_ip), '∅'), coalesce(amount::text, '∅'),
      coalesce(score::text, '∅'), coalesce(quantity::text, '∅'), coalesce(total::text, '∅'),
      coalesce(active::text, '∅'), coalesce(array_to_string(tags, ','), '∅'), coalesce(payload, '∅')) AS line
    FROM public."${table}"`);
  return fold(result.rows.map((row) => row.line));
}
