import cassandra from 'cassandra-driver';
import { C2yError } from '../errors/index.js';
import { quoteIdent, type SourceTable } from '../schema/index.js';
import type { CassandraClient } from './cassandra-session.js';
import type { ScannedRow } from './scan-page.js';
import { scanSelectList } from './table-size.js';

/**
 * A row's place inside its partition: the partition key and clustering values, each as the hex of its CQL
 * serialization (exact for every type, frozen collections and UDTs included), so a checkpoint can say "every row
 * of this partition up to here is committed" and a resume reads on from the next clustering row.
 */
export interface PartitionPosition {
  readonly key: readonly string[];
  readonly clustering: readonly string[];
}

interface DriverTypeInfo { readonly code: number; readonly info?: unknown }
interface DriverEncoder {
  encode(value: unknown, type: DriverTypeInfo): Buffer | null;
  decode(bytes: Buffer, type: DriverTypeInfo): unknown;
}
type EncoderClass = new (protocolVersion: number, options: unknown) => DriverEncoder;

/** Serializes and reads back a table's key values with the driver's own codec (the same one the wire uses). */
export class KeyCodec {
  private constructor(
    private readonly encoder: DriverEncoder,
    private readonly keyTypes: readonly DriverTypeInfo[],
    private readonly clusteringTypes: readonly DriverTypeInfo[],
    private readonly keyIndexes: readonly number[],
    private readonly clusteringIndexes: readonly number[],
  ) {}

  static async create(client: CassandraClient, table: SourceTable): Promise<KeyCodec> {
    const meta = await client.metadata.getTable(table.keyspace, table.name);
    if (!meta) throw new C2yError('SOURCE_TABLE_NOT_FOUND', `table ${table.keyspace}.${table.name} disappeared during the run`, { hint: 'recreate it or start a new run' });
    const typeOf = (name: string): DriverTypeInfo => (meta.columnsByName[name] as unknown as { type: DriverTypeInfo }).type;
    const Encoder = (cassandra as unknown as { Encoder: EncoderClass }).Encoder;
    const indexOf = (name: string): number => table.columns.findIndex((column) => column.name === name) + 1;
    return new KeyCodec(
      new Encoder(cassandra.types.protocolVersion.v4, (client as unknown as { options: unknown }).options),
      table.partitionKeys.map(typeOf), table.clusteringKeys.map(typeOf),
      table.partitionKeys.map(indexOf), table.clusteringKeys.map(indexOf),
    );
  }

  /** How many of the table's columns positionOf and samePartition read (ScanPage.values' `columns`): up to the last key column. */
  get columnsNeeded(): number {
    return Math.max(0, ...this.keyIndexes, ...this.clusteringIndexes);
  }

  /** Where `row` ([token, ...columns]) stands in its partition. */
  positionOf(row: ScannedRow): PartitionPosition {
    const hex = (index: number, type: DriverTypeInfo): string => (this.encoder.encode(row[index], type) ?? Buffer.alloc(0)).toString('hex');
    return {
      key: this.keyIndexes.map((index, n) => hex(index, this.keyTypes[n] as DriverTypeInfo)),
      clustering: this.clusteringIndexes.map((index, n) => hex(index, this.clusteringTypes[n] as DriverTypeInfo)),
    };
  }

  /** Whether `row` is in the partition of an earlier row, known by its token and position (its page since reused). */
  inPartitionOf(token: bigint, position: PartitionPosition, row: ScannedRow): boolean {
    return row[0] === token && this.positionOf(row).key.every((hex, n) => hex === position.key[n]);
  }

  /** The hex components of a key read as driver values: the partition key's, then the clustering's. */
  keyHexOf(values: readonly unknown[]): PartitionPosition {
    const hex = (value: unknown, type: DriverTypeInfo): string => (this.encoder.encode(value, type) ?? Buffer.alloc(0)).toString('hex');
    const keyColumns = this.keyTypes.length;
    return { key: this.keyTypes.map((type, n) => hex(values[n], type)), clustering: this.clusteringTypes.map((type, n) => hex(values[keyColumns + n], type)) };
  }

  /** Whether two rows belong to one partition (tokens can collide; keys cannot). */
  samePartition(a: ScannedRow, b: ScannedRow): boolean {
    if (a[0] !== b[0]) return false;
    return this.keyIndexes.every((index, n) => {
      const type = this.keyTypes[n] as DriverTypeInfo;
      const left = this.encoder.encode(a[index], type);
      const right = this.encoder.encode(b[index], type);
      return left !== null && right !== null && left.equals(right);
    });
  }

  /**
   * The driver values of a partition key and, when given, a whole clustering, from the hex of their serialized
   * components (a CDC change names its keys so), to bind as a key read's parameters.
   */
  keyValuesOf(key: readonly string[], clustering?: readonly string[]): unknown[] {
    if (key.length !== this.keyTypes.length || (clustering !== undefined && clustering.length !== this.clusteringTypes.length)) {
      throw new C2yError('SOURCE_SCHEMA_CHANGED', 'a change names a key that does not fit the table\'s key columns (the schema changed)', { hint: 'start a new run: the table\'s key is not the one planned' });
    }
    const read = (hex: string, type: DriverTypeInfo): unknown => this.encoder.decode(Buffer.from(hex, 'hex'), type);
    return [...key.map((hex, n) => read(hex, this.keyTypes[n] as DriverTypeInfo)), ...(clustering ?? []).map((hex, n) => read(hex, this.clusteringTypes[n] as DriverTypeInfo))];
  }

  /** The driver values of a stored position, to bind as query parameters. */
  valuesOf(position: PartitionPosition): { key: unknown[]; clustering: unknown[] } {
    if (position.key.length !== this.keyTypes.length || position.clustering.length !== this.clusteringTypes.length) {
      throw new C2yError('RUN_NOT_FOUND', 'a checkpoint\'s partition position does not fit the table\'s key columns (the schema changed since the run started)', {
        hint: 'start a new run with --restart',
      });
    }
    const read = (hex: string, type: DriverTypeInfo): unknown => this.encoder.decode(Buffer.from(hex, 'hex'), type);
    return {
      key: position.key.map((hex, n) => read(hex, this.keyTypes[n] as DriverTypeInfo)),
      clustering: position.clustering.map((hex, n) => read(hex, this.clusteringTypes[n] as DriverTypeInfo)),
    };
  }
}

/** Reads of one key: a whole partition (its key columns bound), and one row (its clustering columns too). */
export function keyReadQueries(table: SourceTable, filterCql?: string): { readonly partition: string; readonly row: string } {
  const select = `SELECT ${scanSelectList(table)} FROM ${quoteIdent(table.keyspace)}.${quoteIdent(table.name)} WHERE `;
  const keyMatch = table.partitionKeys.map((name) => `${quoteIdent(name)} = ?`);
  const clusteringMatch = table.clusteringKeys.map((name) => `${quoteIdent(name)} = ?`);
  const filtered = (where: string[]): string => `${select}${where.join(' AND ')}${filterCql === undefined ? '' : ` AND ${filterCql} ALLOW FILTERING`}`;
  return { partition: filtered(keyMatch), row: filtered([...keyMatch, ...clusteringMatch]) };
}

/**
 * The queries that read a partition's rows after a clustering position, in clustering order: with clustering
 * columns c1..cn at (x1..xn), first `c1 = x1 … c(n-1) = x(n-1) AND cn > xn`, then one column fewer, down to
 * `c1 > x1`. Each is a plain slice CQL accepts for any mix of ASC and DESC columns ("after" is `<` on a DESC column).
 */
export function partitionTailQueries(table: SourceTable): Array<{ cql: string; equalities: number }> {
  const keyMatch = table.partitionKeys.map((name) => `${quoteIdent(name)} = ?`);
  const clustering = table.columns.filter((column) => column.role === 'clustering');
  const queries: Array<{ cql: string; equalities: number }> = [];
  for (let slice = clustering.length - 1; slice >= 0; slice--) {
    const equal = clustering.slice(0, slice).map((column) => `${quoteIdent(column.name)} = ?`);
    const sliced = clustering[slice] as (typeof clustering)[number];
    const after = `${quoteIdent(sliced.name)} ${sliced.order === 'DESC' ? '<' : '>'} ?`;
    const where = [...keyMatch, ...equal, after].join(' AND ');
    queries.push({ cql: `SELECT ${scanSelectList(table)} FROM ${quoteIdent(table.keyspace)}.${quoteIdent(table.name)} WHERE ${where}`, equalities: slice });
  }
  return queries;
}
