import { pgTypeOf, type CqlType } from '../schema/index.js';

/** Built-in type OIDs (fixed in PostgreSQL and YugabyteDB): scalar and its array type, by the name type-map uses. */
const OIDS: Readonly<Record<string, readonly [scalar: number, array: number]>> = {
  text: [25, 1009], bigint: [20, 1016], integer: [23, 1007], smallint: [21, 1005], numeric: [1700, 1231],
  real: [700, 1021], 'double precision': [701, 1022], boolean: [16, 1000], bytea: [17, 1001], date: [1082, 1182],
  time: [1083, 1183], timestamptz: [1184, 1185], interval: [1186, 1187], uuid: [2950, 2951], inet: [869, 1041],
  jsonb: [3802, 3807],
};

/**
 * Target types with the same binary form and the same meaning as the one c2y creates: varchar takes text's bytes
 * (and checks its length as text input would), timestamp takes timestamptz's (c2y's text says +00, which a
 * timestamp column drops, keeping the same UTC wall time). Not their arrays: an array's bytes name its element
 * type, which must be the column's exactly.
 */
const SAME_BINARY: Readonly<Record<number, readonly number[]>> = {
  25: [1043], 1184: [1114],
};

/** The OID of a PostgreSQL scalar c2y writes, by its type-map name. */
export function scalarOid(pgName: string): number {
  const oids = OIDS[pgName];
  if (oids === undefined) throw new Error(`no OID known for ${pgName}`);
  return oids[0];
}

/** The column's OID as c2y would create it (an array type for lists, sets and vectors of scalars). */
export function expectedOid(type: CqlType): number {
  const { sql, shape } = pgTypeOf(type);
  const name = shape === 'array' ? sql.slice(0, -2) : sql;
  const oids = OIDS[name];
  if (oids === undefined) throw new Error(`no OID known for ${sql}`);
  return shape === 'array' ? oids[1] : oids[0];
}

/** Whether COPY binary bytes for `type` fit a target column of type `targetOid`. */
export function binaryFits(type: CqlType, targetOid: number): boolean {
  const expected = expectedOid(type);
  return targetOid === expected || (SAME_BINARY[expected] ?? []).includes(targetOid);
}
