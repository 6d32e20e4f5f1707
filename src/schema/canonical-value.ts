import { isCqlSet } from './cql-collections.js';
import { ownRecord } from './own-record.js';

/**
 * An order-independent text form of any value the Cassandra driver returns or accepts: sets and maps are
 * sorted, floats keep every bit, driver types use their own exact string forms. Two values are the same
 * datum exactly when their canonical forms are equal.
 */
export function canonicalValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${value}n`;
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      return Object.is(value, -0) ? '-0' : String(value);
    default:
      break;
  }
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : `@${value.getTime()}`;
  if (value instanceof Set || isCqlSet(value)) return `{${[...value].map(canonicalValue).sort().join(',')}}`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${canonicalValue(k)}:${canonicalValue(v)}`).sort().join(',')}}`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `[${Array.from(value as ArrayLike<unknown>, canonicalValue).join(',')}]`;
  }
  const named = value as { constructor?: { name?: string }; elements?: unknown; toString(): string };
  const kind = named.constructor?.name ?? 'Object';
  if (kind === 'Tuple' || kind === 'Vector') return `${kind === 'Tuple' ? '(' : '<'}${Array.from(named.elements as ArrayLike<unknown>, canonicalValue).join(',')}${kind === 'Tuple' ? ')' : '>'}`;
  if (kind !== 'Object') return `${kind}:${named.toString()}`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}=${canonicalValue(record[key])}`).join(',')}}`;
}

/** A row's primary key as column → canonical text (rows are [token, ...columns in table order]), as rejects record it. */
export function rowKeyRecord(table: { readonly columns: ReadonlyArray<{ readonly name: string; readonly role: string }> }, row: readonly unknown[]): Record<string, string> {
  const key = ownRecord<string>();
  table.columns.forEach((column, index) => {
    if (column.role === 'partition' || column.role === 'clustering') key[column.name] = canonicalValue(row[index + 1]);
  });
  return key;
}

/** One string per key record, independent of the order its fields were stored in (jsonb reorders them). */
export function keyRecordText(table: { readonly columns: ReadonlyArray<{ readonly name: string; readonly role: string }> }, key: Readonly<Record<string, string>>): string {
  return table.columns.filter((column) => column.role === 'partition' || column.role === 'clustering').map((column) => key[column.name] ?? '').join('\u001f');
}
