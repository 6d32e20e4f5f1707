/**
 * The Node driver encodes an empty list or set as null, so a value holding an empty collection is written as a
 * CQL literal instead. Covers the shapes the test data uses: text, numbers, bigint, collections, UDT objects.
 */
export function containsEmptyCollection(value: unknown): boolean {
  if (value instanceof Set || value instanceof Map) return value.size === 0 || [...value.values()].some(containsEmptyCollection);
  if (Array.isArray(value)) return value.length === 0 || value.some(containsEmptyCollection);
  if (value !== null && typeof value === 'object' && value.constructor === Object) return Object.values(value).some(containsEmptyCollection);
  return false;
}

export function cqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Set) return `{${[...value].map(cqlLiteral).join(', ')}}`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${cqlLiteral(k)}: ${cqlLiteral(v)}`).join(', ')}}`;
  if (Array.isArray(value)) return `[${value.map(cqlLiteral).join(', ')}]`;
  if (typeof value === 'object' && value.constructor === Object) {
    return `{${Object.entries(value).map(([field, v]) => `${field}: ${cqlLiteral(v)}`).join(', ')}}`;
  }
  throw new Error(`no CQL literal form for ${String(value)}`);
}
