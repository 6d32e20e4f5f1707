/** SplitMix32-style generator: the same (seed, stream) always yields the same values, on any machine. */
export class SeededRandom {
  private state: number;

  constructor(seed: number, stream = 0) {
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
    this.next();
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor((this.next() / 2 ** 32) * (max - min + 1));
  }

  float(): number {
    return this.next() / 2 ** 32;
  }

  bool(): boolean {
    return (this.next() & 1) === 1;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Lower-case words from a fixed vocabulary, for realistic text sizes. */
  words(count: number): string {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(WORDS[this.int(0, WORDS.length - 1)] as string);
    return parts.join(' ');
  }
}

const WORDS = [
  'order', 'payment', 'shipped', 'refund', 'cart', 'login', 'session', 'click', 'view', 'search',
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'gamma', 'kilo', 'lima', 'sierra',
  'überweisung', 'café', 'naïve', '東京', 'данные', 'ok', 'tab\there', 'line\nbreak', 'back\\slash', 'quote"d',
] as const;
