import cassandra from 'cassandra-driver';
import { SeededRandom } from './seeded-random.js';

const { types } = cassandra;

/** Rows that share one partition, so scans cross partition boundaries often. */
export const EVENTS_ROWS_PER_PARTITION = 20;
const BASE_TIME = Date.UTC(2024, 0, 1);

export function eventsDdl(keyspace: string): string {
  return `CREATE TABLE IF NOT EXISTS ${keyspace}.events (
  tenant_id int,
  bucket int,
  event_time timestamp,
  event_id timeuuid,
  kind text,
  user_id uuid,
  source_ip inet,
  amount decimal,
  score double,
  quantity int,
  total bigint,
  active boolean,
  tags set<text>,
  payload text,
  PRIMARY KEY ((tenant_id, bucket), event_time, event_id)
) WITH CLUSTERING ORDER BY (event_time DESC, event_id ASC)`;
}

export const EVENTS_COLUMNS = [
  'tenant_id', 'bucket', 'event_time', 'event_id', 'kind', 'user_id', 'source_ip',
  'amount', 'score', 'quantity', 'total', 'active', 'tags', 'payload',
] as const;

const KINDS = ['view', 'click', 'purchase', 'refund', 'signup', 'login'] as const;

/** Row i of the events data set for a seed: the same values every time. */
export function eventsRow(seed: number, index: number): unknown[] {
  const random = new SeededRandom(seed, index);
  const partition = Math.floor(index / EVENTS_ROWS_PER_PARTITION);
  const time = new Date(BASE_TIME + partition * 60_000 + (index % EVENTS_ROWS_PER_PARTITION) * 1000 + random.int(0, 999));
  const node = random.bytes(6);
  const clock = random.bytes(2);
  const tags = new Set<string>();
  for (let t = random.int(0, 3); t > 0; t--) tags.add(random.pick(KINDS));
  return [
    partition % 1000,
    Math.floor(partition / 1000),
    time,
    types.TimeUuid.fromDate(time, index % 10_000, node, clock),
    random.pick(KINDS),
    new types.Uuid(random.bytes(16)),
    types.InetAddress.fromString(`10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`),
    types.BigDecimal.fromString(`${random.int(0, 99_999)}.${String(random.int(0, 99)).padStart(2, '0')}`),
    random.float() * 1000,
    random.int(-1000, 1_000_000),
    BigInt(random.int(0, 2 ** 31 - 1)) * BigInt(random.int(1, 4096)),
    random.bool(),
    tags.size === 0 ? null : tags,
    random.words(random.int(12, 22)),
  ];
}
