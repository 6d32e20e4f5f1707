import { describe, expect, it } from 'vitest';
import { ChunkWriter, chooseCopyFormat } from '../../src/encode/index.js';
import { writeNumeric } from '../../src/encode/binary-numeric.js';
import type { CqlType, SourceTable } from '../../src/schema/index.js';

/** numeric's binary form as PostgreSQL's numeric_send writes it: ndigits, weight, sign, dscale, base-10000 digits. */
function numeric(negative: boolean, digits: string, scale: number): number[] {
  const out = new ChunkWriter();
  writeNumeric(out, 'c', negative, digits, scale);
  const bytes = out.take();
  expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
  return Array.from({ length: (bytes.length - 4) / 2 }, (_, index) => bytes.readInt16BE(4 + index * 2));
}

describe('numeric in COPY binary', () => {
  it('writes the fields numeric_send writes for the same value', () => {
    expect(numeric(false, '1250', 2)).toEqual([2, 0, 0, 2, 12, 5000]); // 12.50
    expect(numeric(false, '1', 4)).toEqual([1, -1, 0, 4, 1]); // 0.0001
    expect(numeric(false, '1', 5)).toEqual([1, -2, 0, 5, 1000]); // 0.00001
    expect(numeric(true, '0', 2)).toEqual([0, 0, 0, 2]); // -0.00 is 0.00
    expect(numeric(false, '5', -3)).toEqual([1, 0, 0, 0, 5000]); // 5E+3
    expect(numeric(true, '123456789', 0)).toEqual([3, 2, 0x4000, 0, 1, 2345, 6789]);
    expect(numeric(false, '100000000', 0)).toEqual([1, 2, 0, 0, 1]); // trailing zero groups dropped, weight kept
  });

  it('refuses what numeric cannot hold, in the text path\'s words', () => {
    expect(() => numeric(false, '1', 16_384)).toThrow(/outside PostgreSQL numeric's range/);
    expect(() => numeric(false, '1'.repeat(131_073), 0)).toThrow(/outside PostgreSQL numeric's range/);
  });
});

describe('choosing the COPY format', () => {
  const int: CqlType = { kind: 'scalar', name: 'int' };
  const text: CqlType = { kind: 'scalar', name: 'text' };
  const tags: CqlType = { kind: 'list', element: text, frozen: false };
  const table: SourceTable = { keyspace: 'k', name: 't', partitionKeys: ['id'], clusteringKeys: [], columns: [
    { name: 'id', type: int, role: 'partition' }, { name: 'name', type: text, role: 'regular' }, { name: 'tags', type: tags, role: 'regular' },
  ] };
  const types = (entries: Array<[string, number, string]>): Map<string, { oid: number; type: string }> => new Map(entries.map(([name, oid, type]) => [name, { oid, type }]));

  it('auto: binary when every column has c2y\'s type or one with the same bytes (varchar for text), text otherwise', () => {
    expect(chooseCopyFormat(table, types([['id', 23, 'integer'], ['name', 1043, 'character varying(8)'], ['tags', 1009, 'text[]']]), 'auto').format).toBe('binary');
    const chosen = chooseCopyFormat(table, types([['id', 20, 'bigint'], ['name', 25, 'text'], ['tags', 1015, 'character varying[]']]), 'auto');
    expect(chosen.format).toBe('text');
    expect(chosen.mismatches).toEqual(['"id" is bigint, binary writes integer', '"tags" is character varying[], binary writes text[]']);
    expect(chooseCopyFormat(table, types([['id', 23, 'integer'], ['name', 25, 'text'], ['tags', 1009, 'text[]']]), 'text').format).toBe('text');
  });
});
