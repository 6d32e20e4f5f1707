import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionBalancer, parseTargetHosts } from '../../src/sink/index.js';

const endpoints = parseTargetHosts(['a:5433', 'b', '[::1]:6000'], 5432);

describe('target endpoints', () => {
  it('parse host, host:port and [v6]:port', () => {
    expect(endpoints.map((e) => e.key)).toEqual(['a:5433', 'b:5432', '::1:6000']);
  });
});

describe('ConnectionBalancer', () => {
  it('spreads connections within ±1, open and in total, when none are released', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), (count) => {
      const balancer = new ConnectionBalancer(endpoints, true, undefined);
      for (let i = 0; i < count; i++) balancer.acquire();
      for (const counts of [Object.values(balancer.openPerNode()), Object.values(balancer.openedPerNode())]) {
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }));
  });

  it('always gives a new connection to a node with the fewest open, whatever was released', () => {
    fc.assert(fc.property(fc.array(fc.nat(10), { maxLength: 200 }), (steps) => {
      const balancer = new ConnectionBalancer(endpoints, true, undefined);
      const held: Array<NonNullable<ReturnType<ConnectionBalancer['acquire']>>> = [];
      for (const step of steps) {
        if (step < 6 || held.length === 0) {
          const before = balancer.openPerNode();
          const chosen = balancer.acquire()!;
          expect(before[chosen.key]).toBe(Math.min(...Object.values(before)));
          held.push(chosen);
        } else balancer.release(held.splice(step % held.length, 1)[0]!);
      }
    }));
  });

  it('honours the per-node cap and says when every node is full', () => {
    const balancer = new ConnectionBalancer(endpoints, true, 2);
    const got = Array.from({ length: 7 }, () => balancer.acquire());
    expect(got.slice(0, 6).every(Boolean)).toBe(true);
    expect(got[6]).toBeUndefined();
  });

  it('sends everything to the first node when load balancing is off', () => {
    const balancer = new ConnectionBalancer(endpoints, false, undefined);
    for (let i = 0; i < 5; i++) balancer.acquire();
    expect(balancer.openPerNode()).toEqual({ 'a:5433': 5, 'b:5432': 0, '::1:6000': 0 });
  });
});
