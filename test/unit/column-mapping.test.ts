import { describe, expect, it } from 'vitest';
import { ChunkWriter, chooseCopyFormat, createRowEncoder } from '../../src/encode/index.js';
import { loadConfig } from '../../src/config/index.js';
import { applyColumnMapping, ColumnMappingError, createTableDdl, type ColumnMapping, type CqlType, type SourceTable } from '../../src/schema/index.js';
import { copyStatement } from '../../src/sink/index.js';

const scalar = (name: 'int' | 'text' | 'timestamp' | 'uuid'): CqlType => ({ kind: 'scalar', name });
const table: SourceTable = {
  keyspace: 'shop', name: 'orders', partitionKeys: ['id'], clusteringKeys: ['at'],
  columns: [
    { name: 'id', type: scalar('int'), role: 'partition' }, { name: 'at', type: scalar('timestamp'), role: 'clustering', order: 'ASC' },
    { name: 'note', type: scalar('text'), role: 'regular' }, { name: '__proto__', type: scalar('text'), role: 'regular' }, { name: 'secret', type: scalar('text'), role: 'regular' },
  ],
};
const none: ColumnMapping = { rename: [], types: [], constants: [] };
const refusal = (mapping: Partial<ColumnMapping>): ColumnMappingError => {
  try {
    applyColumnMapping(table, { ...none, ...mapping });
  } catch (error) {
    if (error instanceof ColumnMappingError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('columns: include, exclude, rename, types, constants', () => {
  it('moves the chosen columns under their target names and types, with constants after them', () => {
    const mapped = applyColumnMapping(table, { ...none, exclude: ['secret'], rename: [['note', 'comment'], ['__proto__', 'proto'], ['id', 'order_id']], types: [['note', 'varchar(64)'], ['at', 'timestamp without time zone']], constants: [['tenant', 'acme']] });
    expect(mapped.columns.map((c) => c.name)).toEqual(['id', 'at', 'note', '__proto__']);
    expect(copyStatement(mapped, { schema: 'public', table: 'orders' })).toBe('COPY "public"."orders" ("order_id", "at", "comment", "proto", "tenant") FROM STDIN');
    expect(createTableDdl(mapped, { schema: 'public', table: 'orders' }, 'postgres')).toBe('CREATE TABLE IF NOT EXISTS "public"."orders" (\n  "order_id" integer,\n  "at" timestamp without time zone,\n  "comment" varchar(64),\n  "proto" text,\n  "tenant" text,\n  PRIMARY KEY ("order_id", "at")\n)');
    const out = new ChunkWriter();
    createRowEncoder(mapped).encode([0n, 7, new Date(0), 'a\tb', null], out);
    expect(out.take().toString()).toBe('7\t1970-01-01 00:00:00.000+00\ta\\tb\t\\N\tacme\n');
    const binary = new ChunkWriter();
    createRowEncoder(mapped, 'binary').encode([0n, 7, new Date(0), 'x', null], binary);
    const bytes = binary.take();
    expect(bytes.readInt16BE(0)).toBe(5);
    expect(bytes.subarray(-8).toString('latin1')).toBe('\u0000\u0000\u0000\u0004acme');
  });

  it('refuses, naming the key: unknown columns, a key column left out, two columns of one name, a type the values cannot hold', () => {
    expect(refusal({ include: ['id', 'at', 'nope'] }).message).toBe('columns.include names "nope", which shop.orders does not have');
    expect(refusal({ exclude: ['at'] })).toMatchObject({ key: 'columns.exclude', message: 'primary key column "at" cannot be left out' });
    expect(refusal({ include: ['id', 'note'] })).toMatchObject({ key: 'columns.include', message: 'primary key column "at" cannot be left out' });
    expect(refusal({ rename: [['note', 'secret']] }).message).toBe('two target columns would be called "secret"');
    expect(refusal({ constants: [['note', 'x']] }).message).toBe('two target columns would be called "note"');
    expect(refusal({ exclude: ['secret'], rename: [['secret', 's']] }).message).toBe('columns.rename names "secret", which is excluded');
    expect(refusal({ types: [['note', 'integer']] }).message).toBe('"note" cannot become integer: not every value of text fits it');
    expect(refusal({ types: [['id', 'smallint']] }).message).toBe('"id" cannot become smallint: not every value of int fits it');
    expect(refusal({ types: [['ghost', 'text']] }).key).toBe('columns.types');
    expect(refusal({ exclude: ['secret'], types: [['secret', 'text']] }).message).toBe('columns.types names "secret", which is excluded');
  });

  it('COPY binary only where the renamed and retyped target columns take its bytes; constants need a text column', () => {
    const mapped = applyColumnMapping(table, { ...none, rename: [['note', 'comment']], constants: [['tenant', 'acme']] });
    const types = new Map([['id', { oid: 23, type: 'integer' }], ['at', { oid: 1184, type: 'timestamp with time zone' }], ['comment', { oid: 25, type: 'text' }], ['__proto__', { oid: 25, type: 'text' }], ['secret', { oid: 25, type: 'text' }]]);
    expect(chooseCopyFormat(mapped, new Map([...types, ['tenant', { oid: 1043, type: 'character varying(10)' }]]), 'auto').format).toBe('binary');
    expect(chooseCopyFormat(mapped, new Map([...types, ['tenant', { oid: 23, type: 'integer' }]]), 'auto').mismatches).toEqual(['"tenant" (a constant) is integer, binary writes text']);
  });

  it('is read from YAML-like values, JSON in the environment, and keeps a column named __proto__', () => {
    const loaded = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't' }, env: { C2Y_COLUMNS: '{"exclude":"secret","rename":{"__proto__":"proto"},"constants":{"n":1}}' } });
    expect(loaded.config.columns).toEqual({ exclude: ['secret'], rename: [['__proto__', 'proto']], types: [], constants: [['n', '1']] });
    expect(() => loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't' }, env: { C2Y_COLUMNS: '{"renames":{}}' } })).toThrow(/columns/);
  });
});
