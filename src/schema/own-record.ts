/**
 * An empty object for keys that come from user data (map keys, UDT fields, column names): without a prototype, so
 * a key named `__proto__` is stored as a key instead of replacing the prototype (and vanishing from the output).
 */
export function ownRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
