import cassandra from 'cassandra-driver';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkWriter, createRowEncoder, ValueEncodeError } from '../../src/encode/index.js';
import type { CqlType, SourceTable } from '../../src/schema/index.js';
import { canonicalColumn } from '../../src/digest/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/servers.js';

const { types } = cassandra;
const scalar = (name: string): CqlType => ({ kind: 'scalar', name } as CqlType);
const tupleOf = (...elements: CqlType[]): CqlType => ({ kind: 'tuple', elements } as CqlType);
const frozenList = (element: CqlType): CqlType => ({ kind: 'list', element, frozen: true } as CqlType);
const mapOf = (key: CqlType, value: CqlType): CqlType => ({ kind: 'map', key, value, frozen: false } as CqlType);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('jsonb');
});
afterAll(async () => db?.close());

function tableOf(type: CqlType): SourceTable {
  return { keyspace: 'k', name: 't', partitionKeys: ['id'], clusteringKeys: [], columns: [{ name: 'id', type: scalar('int'), role: 'partition' }, { name: 'v', type, role: 'regular' }] };
}

/** Writes `value` the way a migration does (c2y's encoder, COPY into real jsonb) and reads back what validate reads. */
async function roundTrip(type: CqlType, value: unknown): Promise<{ stored: string; sourceForm: string; targetForm: string }> {
  const table = `j${Math.floor(Math.random() * 1e9)}`;
  await db.query(`CREATE TABLE public.${table} (id integer, v jsonb)`);
  const writer = new ChunkWriter();
  createRowEncoder(tableOf(type)).encode([0n, 1, value], writer);
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: 'postgres', database: db.database });
  await client.connect();
  try {
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom(`COPY public.${table} (id, v) FROM STDIN`));
      stream.on('error', reject);
      stream.on('finish', () => resolve());
      stream.end(writer.take());
    });
  } finally {
    await client.end();
  }
  const column = canonicalColumn('v', type);
  const row = (await db.query<{ stored: string; canonical: string | null }>(`SELECT v::text AS stored, ${column.sql} AS canonical FROM public.${table}`)).rows[0]!;
  return { stored: row.stored, sourceForm: column.fromCassandra(value), targetForm: column.fromPostgres(row.canonical) };
}

describe('jsonb values written exactly and validated equal', () => {
  it('a map keyed by a frozen tuple or list of bigint, varint and decimal keys its object by the numbers\' digits', async () => {
    const tupleKey = mapOf(tupleOf(scalar('bigint'), scalar('varint')), scalar('text'));
    const viaTuple = await roundTrip(tupleKey, new Map([[new types.Tuple(9007199254740993n, 10n ** 30n), 'a']]));
    expect(viaTuple.stored).toBe('{"[9007199254740993,1000000000000000000000000000000]": "a"}');
    expect(viaTuple.targetForm).toBe(viaTuple.sourceForm);
    const listKey = mapOf(frozenList(scalar('decimal')), scalar('int'));
    const viaList = await roundTrip(listKey, new Map([[[types.BigDecimal.fromString('1.50'), types.BigDecimal.fromString('-2')], 7]]));
    expect(viaList.stored).toBe('{"[1.50,-2]": 7}');
    expect(viaList.targetForm).toBe(viaList.sourceForm);
  });

  it('-0.0 inside jsonb stays -0 (as a string, like NaN) and differs from 0.0', async () => {
    const doubles = mapOf(scalar('int'), scalar('double'));
    const result = await roundTrip(doubles, new Map([[1, -0], [2, 0], [3, Number.NaN]]));
    expect(result.stored).toBe('{"1": "-0", "2": 0, "3": "NaN"}');
    expect(result.targetForm).toBe(result.sourceForm);
    const positive = await roundTrip(doubles, new Map([[1, 0], [2, 0], [3, Number.NaN]]));
    expect(positive.sourceForm).not.toBe(result.sourceForm);
  });

  it('a map keyed by timestamps, dates and blobs is equal on both sides', async () => {
    for (const [key, value] of [
      [scalar('timestamp'), new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5))],
      [scalar('date'), types.LocalDate.fromString('1999-12-31')],
      [scalar('blob'), Buffer.from([0, 1, 254, 255])],
    ] as Array<[CqlType, unknown]>) {
      const result = await roundTrip(mapOf(key, scalar('int')), new Map([[value, 1]]));
      expect(result.targetForm, `${JSON.stringify(key)}: ${result.stored}`).toBe(result.sourceForm);
    }
  });

  it('a decimal beyond numeric\'s range is a value error the row\'s onError policy handles, not a crash', () => {
    const huge = new types.BigDecimal(types.Integer.fromString('5') as unknown as number, 2 ** 31 - 1);
    for (const type of [scalar('decimal'), mapOf(scalar('int'), scalar('decimal'))]) {
      const writer = new ChunkWriter();
      const value = type.kind === 'map' ? new Map([[1, huge]]) : huge;
      expect(() => createRowEncoder(tableOf(type)).encode([0n, 1, value], writer)).toThrow(ValueEncodeError);
    }
  });
});
