export const SCALAR_TYPES = [
  'ascii', 'text', 'bigint', 'counter', 'int', 'smallint', 'tinyint', 'varint', 'decimal', 'float', 'double',
  'boolean', 'blob', 'date', 'time', 'timestamp', 'duration', 'uuid', 'timeuuid', 'inet',
] as const;
export type ScalarName = (typeof SCALAR_TYPES)[number];

export type CqlType =
  | { readonly kind: 'scalar'; readonly name: ScalarName }
  | { readonly kind: 'list' | 'set'; readonly element: CqlType; readonly frozen: boolean }
  | { readonly kind: 'map'; readonly key: CqlType; readonly value: CqlType; readonly frozen: boolean }
  | { readonly kind: 'tuple'; readonly elements: readonly CqlType[] }
  | { readonly kind: 'udt'; readonly name: string; readonly fields: ReadonlyArray<{ readonly name: string; readonly type: CqlType }>; readonly frozen: boolean }
  | { readonly kind: 'vector'; readonly element: CqlType; readonly dimension: number };

/** The driver's protocol type codes (cassandra-driver types.dataTypes). */
const SCALAR_BY_CODE: Readonly<Record<number, ScalarName>> = {
  1: 'ascii', 2: 'bigint', 3: 'blob', 4: 'boolean', 5: 'counter', 6: 'decimal', 7: 'double', 8: 'float', 9: 'int',
  10: 'text', 11: 'timestamp', 12: 'uuid', 13: 'text', 14: 'varint', 15: 'timeuuid', 16: 'inet', 17: 'date',
  18: 'time', 19: 'smallint', 20: 'tinyint', 21: 'duration',
};

/** The shape of a column type in the driver's table metadata. */
export interface DriverType {
  readonly code: number;
  readonly info?: unknown;
  readonly options?: { readonly frozen?: boolean };
  readonly customTypeName?: string;
}

export class UnsupportedTypeError extends Error {}

export function fromDriverType(type: DriverType): CqlType {
  const frozen = type.options?.frozen ?? false;
  const scalar = SCALAR_BY_CODE[type.code];
  if (scalar) return { kind: 'scalar', name: scalar };
  switch (type.code) {
    case 32:
    case 34:
      return { kind: type.code === 32 ? 'list' : 'set', element: fromDriverType(type.info as DriverType), frozen };
    case 33: {
      const [key, value] = type.info as [DriverType, DriverType];
      return { kind: 'map', key: fromDriverType(key), value: fromDriverType(value), frozen };
    }
    case 49:
      return { kind: 'tuple', elements: (type.info as DriverType[]).map(fromDriverType) };
    case 48: {
      const info = type.info as { name: string; fields: Array<{ name: string; type: DriverType }> };
      return { kind: 'udt', name: info.name, fields: info.fields.map((f) => ({ name: f.name, type: fromDriverType(f.type) })), frozen };
    }
    case 0: {
      if (type.customTypeName === 'vector' && Array.isArray(type.info)) {
        const [element, dimension] = type.info as [DriverType, number];
        return { kind: 'vector', element: fromDriverType(element), dimension };
      }
      if (typeof type.info === 'string' && type.info.endsWith('DurationType')) return { kind: 'scalar', name: 'duration' };
      throw new UnsupportedTypeError(`custom type ${String(type.customTypeName ?? type.info)}`);
    }
    default:
      throw new UnsupportedTypeError(`CQL type code ${type.code}`);
  }
}

/** CQL spelling, for messages and the report. */
export function cqlTypeText(type: CqlType): string {
  switch (type.kind) {
    case 'scalar':
      return type.name;
    case 'list':
    case 'set': {
      const inner = `${type.kind}<${cqlTypeText(type.element)}>`;
      return type.frozen ? `frozen<${inner}>` : inner;
    }
    case 'map': {
      const inner = `map<${cqlTypeText(type.key)}, ${cqlTypeText(type.value)}>`;
      return type.frozen ? `frozen<${inner}>` : inner;
    }
    case 'tuple':
      return `tuple<${type.elements.map(cqlTypeText).join(', ')}>`;
    case 'udt':
      return type.frozen ? `frozen<${type.name}>` : type.name;
    case 'vector':
      return `vector<${cqlTypeText(type.element)}, ${type.dimension}>`;
  }
}
