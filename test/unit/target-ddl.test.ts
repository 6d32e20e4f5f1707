import { describe, expect, it } from 'vitest';
import { createTableDdl, type CqlType, type SourceTable } from '../../src/schema/index.js';

const text: CqlType = { kind: 'scalar', name: 'text' };
const source: SourceTable = {
  keyspace: 'ks', name: 'Order Items', partitionKeys: ['tenant', 'Bucket'], clusteringKeys: ['ts', 'id'],
  columns: [
    { name: 'tenant', type: { kind: 'scalar', name: 'int' }, role: 'partition' },
    { name: 'Bucket', type: { kind: 'scalar', name: 'tinyint' }, role: 'partition' },
    { name: 'ts', type: { kind: 'scalar', name: 'timestamp' }, role: 'clustering', order: 'DESC' },
    { name: 'id', type: { kind: 'scalar', name: 'timeuuid' }, role: 'clustering', order: 'ASC' },
    { name: 'tags', type: { kind: 'list', element: text, frozen: false }, role: 'regular' },
    { name: 'attrs', type: { kind: 'map', key: text, value: text, frozen: false }, role: 'regular' },
    { name: 'we"ird', type: { kind: 'scalar', name: 'varint' }, role: 'static' },
  ],
};

describe('target DDL', () => {
  it('hash-shards the partition key and keeps clustering order on YugabyteDB', () => {
    expect(createTableDdl(source, { schema: 'public', table: 'Order Items' }, 'yugabyte')).toBe(`CREATE TABLE IF NOT EXISTS "public"."Order Items" (
  "tenant" integer,
  "Bucket" smallint,
  "ts" timestamptz,
  "id" uuid,
  "tags" text[],
  "attrs" jsonb,
  "we""ird" numeric,
  PRIMARY KEY (("tenant", "Bucket") HASH, "ts" DESC, "id" ASC)
)`);
  });

  it('uses an ordinary primary key over the same columns on PostgreSQL', () => {
    expect(createTableDdl(source, { schema: 's', table: 't' }, 'postgres')).toContain('PRIMARY KEY ("tenant", "Bucket", "ts", "id")');
  });
});
