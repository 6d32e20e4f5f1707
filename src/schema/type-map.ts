import type { CqlType, ScalarName } from './cql-type.js';

/**
 * CQL scalar → PostgreSQL type. Chosen so every Cassandra value that PostgreSQL can hold round-trips exactly:
 * varint/decimal → numeric (arbitrary precision), tinyint → smallint (PostgreSQL has no 1-byte int),
 * timestamp → timestamptz (Cassandra timestamps are UTC instants), time → time (microseconds; see README).
 */
export const PG_SCALAR: Readonly<Record<ScalarName, string>> = {
  ascii: 'text', text: 'text', bigint: 'bigint', counter: 'bigint', int: 'integer', smallint: 'smallint',
  tinyint: 'smallint', varint: 'numeric', decimal: 'numeric', float: 'real', double: 'double precision',
  boolean: 'boolean', blob: 'bytea', date: 'date', time: 'time', timestamp: 'timestamptz', duration: 'interval',
  uuid: 'uuid', timeuuid: 'uuid', inet: 'inet',
};

/** How a column's values travel: as one scalar, as a PostgreSQL array of scalars, or as jsonb. */
export type PgShape = 'scalar' | 'array' | 'jsonb';

export interface PgColumnType {
  readonly sql: string;
  readonly shape: PgShape;
}

/**
 * Lists and sets of scalars become PostgreSQL arrays (indexable, typed, what a SQL user expects); maps, tuples,
 * UDTs and nested collections become jsonb, the only PostgreSQL type that keeps their structure in one column.
 */
export function pgTypeOf(type: CqlType): PgColumnType {
  switch (type.kind) {
    case 'scalar':
      return { sql: PG_SCALAR[type.name], shape: 'scalar' };
    case 'list':
    case 'set':
      return type.element.kind === 'scalar' ? { sql: `${PG_SCALAR[type.element.name]}[]`, shape: 'array' } : { sql: 'jsonb', shape: 'jsonb' };
    case 'vector':
      return type.element.kind === 'scalar' ? { sql: `${PG_SCALAR[type.element.name]}[]`, shape: 'array' } : { sql: 'jsonb', shape: 'jsonb' };
    default:
      return { sql: 'jsonb', shape: 'jsonb' };
  }
}
