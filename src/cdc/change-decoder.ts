import { canonicalValue } from '../schema/index.js';
import type { CellDecoder, DriverType } from '../source/index.js';
import type { ChangedCell, ChangedRow, ChangeLine } from './agent-events.js';
import { keyComponents } from './touched-keys.js';

/** The driver's type codes for collections and UDTs (protocol v4). */
const LIST = 0x20;
const MAP = 0x21;
const SET = 0x22;
const UDT = 0x30;

export interface ColumnTypes {
  readonly partitionKey: readonly DriverType[];
  readonly clustering: readonly DriverType[];
  readonly columns: ReadonlyMap<string, DriverType>;
}

/** A change with its values decoded by the table's types, in canonical text (as validate compares values). */
export interface DecodedChange {
  readonly table: string;
  readonly at: string;
  readonly key: string[];
  readonly partitionDeletedAt?: number;
  /** Range deletions: clustering bounds (a prefix; inclusive or not, by kind) and when. */
  readonly ranges?: Array<{ readonly start: DecodedBound; readonly end: DecodedBound; readonly deletedAt: number }>;
  readonly rows: DecodedRow[];
}

export interface DecodedBound {
  readonly inclusive: boolean;
  readonly values: string[];
}

export interface DecodedRow {
  readonly clustering: string[];
  readonly static: boolean;
  /** An INSERT's row marker: the row exists from then, even with every column null. */
  readonly writtenAt?: number;
  readonly ttl?: number;
  readonly deletedAt?: number;
  readonly cells: Array<{ readonly column: string; readonly writtenAt?: number; readonly element?: string; readonly value?: string; readonly deleted?: true; readonly ttl?: number; readonly clearedAt?: number }>;
}

/** The type of a non-frozen collection's or UDT's element path, and of its value. */
function elementTypes(type: DriverType): { readonly path: DriverType | undefined; readonly value: DriverType | undefined } {
  const info = type.info as unknown;
  if (type.code === SET) return { path: info as DriverType, value: undefined };
  if (type.code === MAP) return { path: (info as DriverType[])[0], value: (info as DriverType[])[1] };
  if (type.code === LIST) return { path: undefined, value: info as DriverType };
  return { path: undefined, value: undefined };
}

export class ChangeDecoder {
  constructor(private readonly decoder: CellDecoder, private readonly types: ColumnTypes) {}

  decode(change: ChangeLine): DecodedChange {
    const key = keyComponents(Buffer.from(change.key, 'hex'), this.types.partitionKey.length);
    const rows = [...(change.static ? [this.row(change.static, true)] : []), ...(change.rows ?? []).map((row) => this.row(row, false))];
    return {
      table: change.table, at: `${change.segment}:${change.position}`,
      key: key.map((bytes, i) => this.text(bytes, this.types.partitionKey[i])),
      ...(change.partitionDeleted === undefined ? {} : { partitionDeletedAt: change.partitionDeleted }),
      ...(change.ranges ? { ranges: change.ranges.map((range) => ({ start: this.bound(range.start), end: this.bound(range.end), deletedAt: range.ts })) } : {}), rows,
    };
  }

  private bound(bound: { readonly kind: string; readonly values: readonly string[] }): DecodedBound {
    return { inclusive: bound.kind.startsWith('INCL'), values: bound.values.map((hex, i) => this.text(Buffer.from(hex, 'hex'), this.types.clustering[i])) };
  }

  private row(row: ChangedRow, isStatic: boolean): DecodedRow {
    return {
      clustering: row.clustering.map((hex, i) => this.text(Buffer.from(hex, 'hex'), this.types.clustering[i])), static: isStatic,
      ...(row.ts === undefined ? {} : { writtenAt: row.ts }), ...(row.ttl ? { ttl: row.ttl } : {}),
      ...(row.deleted === undefined ? {} : { deletedAt: row.deleted }), cells: row.cells.map((cell) => this.cell(cell)),
    };
  }

  private cell(cell: ChangedCell): DecodedRow['cells'][number] {
    const type = this.types.columns.get(cell.column);
    const element = type === undefined ? { path: undefined, value: undefined } : elementTypes(type);
    const path = cell.path === undefined ? undefined : Buffer.from(cell.path, 'hex');
    const elementText = path === undefined ? undefined : type?.code === UDT ? udtFieldName(type, path) : element.path ? this.text(path, element.path) : `0x${cell.path}`;
    const valueType = path === undefined ? type : type?.code === UDT ? udtFieldType(type, path) : element.value;
    return {
      column: cell.column, ...(cell.ts === undefined ? {} : { writtenAt: cell.ts }), ...(elementText === undefined ? {} : { element: elementText }),
      ...(cell.cleared === undefined ? {} : { clearedAt: cell.cleared }), ...(cell.deleted ? { deleted: true as const } : {}),
      ...(cell.ttl === undefined ? {} : { ttl: cell.ttl }),
      // A set's element is its path; its value is empty.
      ...(cell.value === undefined || type?.code === SET ? {} : { value: valueType === undefined ? `0x${cell.value}` : this.text(Buffer.from(cell.value, 'hex'), valueType) }),
    };
  }

  private text(bytes: Buffer, type: DriverType | undefined): string {
    if (type === undefined) return `0x${bytes.toString('hex')}`;
    return canonicalValue(this.decoder.decode(bytes, type));
  }
}

interface UdtInfo { readonly fields: ReadonlyArray<{ readonly name: string; readonly type: DriverType }> }

/** A non-frozen UDT's cell path is the field's index (a short). */
function udtFieldName(type: DriverType, path: Buffer): string {
  return (type.info as UdtInfo).fields[path.readUInt16BE(0)]?.name ?? `field ${path.readUInt16BE(0)}`;
}

function udtFieldType(type: DriverType, path: Buffer): DriverType | undefined {
  return (type.info as UdtInfo).fields[path.readUInt16BE(0)]?.type;
}
