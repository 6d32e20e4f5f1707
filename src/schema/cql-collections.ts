/**
 * CQL sets and maps as the bytes hold them. A JavaScript Set or Map compares with SameValueZero: it turns a -0.0
 * element or key into 0 and merges -0.0 with 0.0, which Cassandra keeps apart (they are different bytes). The driver
 * decodes into these instead (its `encoding.set` / `encoding.map` options), element by element, in Cassandra's order.
 */
export class CqlSet<T = unknown> extends Array<T> {
  // map(), slice()… build plain arrays: this constructor takes an iterable, not a length.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /**
   * The driver encodes a value as a set when it is an instance of its `encoding.set` class: any JS Set or array a
   * caller binds must count, or it would be written as an empty set. Use isCqlSet() to ask what a value really is.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Set || Array.isArray(value);
  }

  constructor(items?: Iterable<T>) {
    super();
    if (items) for (const item of items) this.push(item);
  }

  /** The driver's encoder reads a set with forEach; Set's add is kept for code written against Set. */
  add(item: T): this {
    this.push(item);
    return this;
  }
}

/** A native Map merges -0 into 0 (SameValueZero); -0 gets a key of its own, so keys compare as Object.is does. */
const NEGATIVE_ZERO = Symbol('-0');
const slot = (key: unknown): unknown => (Object.is(key, -0) ? NEGATIVE_ZERO : key);

/** Entries in Cassandra's order; keys compared with Object.is, so -0.0 and 0.0 (and NaN) stay distinct keys. */
export class CqlMap<K = unknown, V = unknown> extends Map<K, V> {
  private readonly pairs: Array<[K, V]> = [];
  /** Key → position in pairs, so decoding a map of n entries costs n look-ups, not n²/2 comparisons. */
  private readonly index = new Map<unknown, number>();

  /** As for CqlSet: every JS Map a caller binds must be encoded as a map (the driver asks `instanceof`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Map;
  }

  override set(key: K, value: V): this {
    const at = this.index.get(slot(key));
    if (at !== undefined) this.pairs[at] = [key, value];
    else {
      this.index.set(slot(key), this.pairs.length);
      this.pairs.push([key, value]);
    }
    return this;
  }

  override get(key: K): V | undefined {
    const at = this.index.get(slot(key));
    return at === undefined ? undefined : this.pairs[at]?.[1];
  }

  override has(key: K): boolean {
    return this.index.has(slot(key));
  }

  override delete(key: K): boolean {
    const at = this.index.get(slot(key));
    if (at === undefined) return false;
    this.pairs.splice(at, 1);
    this.index.clear();
    this.pairs.forEach(([existing], position) => this.index.set(slot(existing), position));
    return true;
  }

  override clear(): void {
    this.pairs.length = 0;
    this.index.clear();
  }

  override get size(): number {
    return this.pairs.length;
  }

  override forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.pairs) callback.call(thisArg, value, key, this);
  }

  override *entries(): MapIterator<[K, V]> {
    for (const pair of this.pairs) yield [pair[0], pair[1]];
  }

  override *keys(): MapIterator<K> {
    for (const pair of this.pairs) yield pair[0];
  }

  override *values(): MapIterator<V> {
    for (const pair of this.pairs) yield pair[1];
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

/** Whether a value is a CQL set as decoded (not any array: `instanceof CqlSet` answers for the driver's encoder). */
export function isCqlSet(value: unknown): value is CqlSet {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === CqlSet.prototype;
}
