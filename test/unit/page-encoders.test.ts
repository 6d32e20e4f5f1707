import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { ChunkWriter, createRowEncoder } from '../../src/encode/index.js';
import type { CqlType, SourceTable } from '../../src/schema/index.js';
import { EXACT_ENCODING, cellDecoder, rawScanPage, type DriverType, type RawPage } from '../../src/source/index.js';
import { PageEncoders, TableRawEncoder } from '../../src/task/page-encoders.js';

/**
 * A table's raw row encoder is built once per executor and shared by its splits (V8 optimizes each newly built row
 * function from scratch): what each split reports must still be its own.
 */
const { dataTypes } = cassandra.types;
const decoder = cellDecoder({ options: { encoding: EXACT_ENCODING } });
const encodeCell = (value: unknown, type: DriverType): Buffer => (decoder as unknown as { encode(value: unknown, type: DriverType): Buffer }).encode(value, type);

const int: CqlType = { kind: 'scalar', name: 'int' };
// A map keyed by a frozen list has no transcoder: each of its cells goes by reference, which the report counts.
const mapByList: CqlType = { kind: 'map', key: { kind: 'list', element: int, frozen: true }, value: { kind: 'scalar', name: 'text' }, frozen: false };
const mapType: DriverType = { code: dataTypes.map, info: [{ code: dataTypes.list, info: { code: dataTypes.int } }, { code: dataTypes.varchar }] };
const TABLE: SourceTable = {
  keyspace: 'k', name: 't', partitionKeys: ['id'], clusteringKeys: [],
  columns: [{ name: 'id', type: int, role: 'partition' }, { name: 'm', type: mapByList, role: 'regular' }],
};

/** A page of `rows` rows (token, id, m), the map null in odd rows. */
function page(rows: number): RawPage {
  const cells = Array.from({ length: rows }, (_, row) => [
    encodeCell(BigInt(row), { code: dataTypes.bigint }), encodeCell(row, { code: dataTypes.int }),
    row % 2 === 1 ? null : encodeCell(new Map([[[row], 'v']]), mapType),
  ]).flat();
  const starts = new Int32Array(cells.length);
  const lengths = new Int32Array(cells.length);
  let at = 0;
  cells.forEach((cell, index) => {
    starts[index] = at;
    lengths[index] = cell === null ? -1 : cell.length;
    at += cell?.length ?? 0;
  });
  const columns = [{ name: 'token', type: { code: dataTypes.bigint } }, { name: 'id', type: { code: dataTypes.int } }, { name: 'm', type: mapType }];
  return { buffer: Buffer.concat(cells.filter((cell): cell is Buffer => cell !== null)), columns, rowCount: rows, starts, lengths, release: () => undefined };
}

describe('page encoders over a table raw encoder shared by splits', () => {
  it('builds the table raw encoder once, whatever the page', () => {
    const shared = new TableRawEncoder(TABLE, 'text');
    expect(shared.for(page(2), decoder)).toBe(shared.for(page(4), decoder));
  });

  it('counts each split its own reference cells when their rows interleave', () => {
    const encoding = { encoder: createRowEncoder(TABLE, 'text'), rawEncoder: new TableRawEncoder(TABLE, 'text'), rawPages: decoder };
    const first = new PageEncoders(encoding);
    const second = new PageEncoders(encoding);
    const out = new ChunkWriter();
    const encodeA = first.encoderFor(rawScanPage(page(4), decoder));
    const encodeB = second.encoderFor(rawScanPage(page(4), decoder));
    encodeA(0, out);
    encodeB(0, out);
    encodeB(1, out);
    encodeB(2, out);
    encodeA(1, out);
    expect(out.take().toString()).toBe('0\t{"[0]":"v"}\n0\t{"[0]":"v"}\n1\t\\N\n2\t{"[2]":"v"}\n1\t\\N\n');
    expect(first.takeReferenceCells()).toBe(1);
    expect(second.takeReferenceCells()).toBe(2);
    expect([first.takeReferenceCells(), second.takeReferenceCells()]).toEqual([0, 0]);
  });

  it('counts a raw scan page that came as driver rows, and encodes it by reference', () => {
    const encoders = new PageEncoders({ encoder: createRowEncoder(TABLE, 'text'), rawEncoder: new TableRawEncoder(TABLE, 'text'), rawPages: decoder });
    const rows = [[5n, 7, null]];
    const out = new ChunkWriter();
    encoders.encoderFor({ length: 1, token: () => 5n, values: (row) => rows[row]!, isNull: () => true, int64: () => null, raw: undefined, release: () => undefined })(0, out);
    expect(out.take().toString()).toBe('7\t\\N\n');
    expect(encoders.takeDriverPages()).toBe(1);
    expect(encoders.takeDriverPages()).toBe(0);
  });
});
