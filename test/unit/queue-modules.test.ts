import { describe, expect, it } from 'vitest';
import { commonJsExports } from '../../src/runner/queue-modules.js';

class Queue {}

describe('a CommonJS package loaded with import()', () => {
  it('gives its exports whether Node named them or the CLI\'s bundle put module.exports under default', () => {
    const exportsObject = { Queue, default: undefined as unknown };
    expect(commonJsExports(exportsObject, 'Queue').Queue).toBe(Queue);
    const bundled = { default: { Queue } } as unknown as { Queue: typeof Queue };
    expect(commonJsExports(bundled, 'Queue').Queue).toBe(Queue);
    // ioredis's module.exports is the Redis class itself, with Redis among its properties.
    const Redis = Object.assign(function Redis() {}, { Redis: undefined as unknown });
    Redis.Redis = Redis;
    expect(commonJsExports({ default: Redis } as unknown as { Redis: unknown }, 'Redis').Redis).toBe(Redis);
  });

  it('refuses a package without the export, rather than failing later on undefined', () => {
    expect(() => commonJsExports({ default: {} } as unknown as { Queue: unknown }, 'Queue')).toThrow(/no export named Queue/);
    expect(() => commonJsExports({ default: null } as unknown as { Queue: unknown }, 'Queue')).toThrow(/no export named Queue/);
  });
});
