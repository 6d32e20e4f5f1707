import { C2yError } from '../errors/index.js';
import type { Queryable } from '../sink/index.js';
import type { CassandraClient } from '../source/index.js';

/** One clock against this machine's: its offset, and how far the reading could be off (half the round trip, and 1 ms). */
export interface ClockReading {
  readonly clock: string;
  readonly offsetMs: number;
  readonly uncertaintyMs: number;
}

async function reading(clock: string, read: () => Promise<number>): Promise<ClockReading> {
  const before = Date.now();
  const at = await read();
  const after = Date.now();
  return { clock, offsetMs: at - (before + after) / 2, uncertaintyMs: (after - before) / 2 + 1 };
}

/** The target's clock (a catch-up's cut-off is its time) and every Cassandra node's (write times default to them). */
export async function readClocks(cassandra: CassandraClient, target: Queryable): Promise<{ target: ClockReading; nodes: ClockReading[] }> {
  const targetClock = await reading('target', async () => Number((await target.query<{ t: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS t')).rows[0]?.t));
  const nodes: ClockReading[] = [];
  for (const host of cassandra.hosts.values()) {
    if (!host.isUp()) continue;
    nodes.push(await reading(`Cassandra ${host.address}`, async () => Number(String((await cassandra.execute('SELECT toUnixTimestamp(now()) AS t FROM system.local', [], { host })).first()?.['t']))));
  }
  return { target: targetClock, nodes };
}

/**
 * The nodes whose clock is further from the target's than the margin allows, beyond what the readings can tell:
 * rows they timed during the last run could look older than its start, and the pass would leave them to validate.
 */
export function clockSkewProblems(clocks: { target: ClockReading; nodes: readonly ClockReading[] }, marginSeconds: number): string[] {
  return clocks.nodes.flatMap((node) => {
    const skewMs = node.offsetMs - clocks.target.offsetMs;
    const surely = Math.abs(skewMs) - node.uncertaintyMs - clocks.target.uncertaintyMs;
    return surely > marginSeconds * 1000 ? [`${node.clock} is ${(Math.abs(skewMs) / 1000).toFixed(1)} s ${skewMs > 0 ? 'ahead of' : 'behind'} the target's clock`] : [];
  });
}

/** Refuses a catch-up whose margin is smaller than the clocks' distance; otherwise returns the largest skew seen. */
export async function checkClockSkew(cassandra: CassandraClient, target: Queryable, marginSeconds: number): Promise<number> {
  const clocks = await readClocks(cassandra, target);
  const problems = clockSkewProblems(clocks, marginSeconds);
  if (problems.length > 0) {
    const needed = Math.ceil(Math.max(...clocks.nodes.map((node) => Math.abs(node.offsetMs - clocks.target.offsetMs))) / 1000) + 1;
    throw new C2yError('CONFIG_INVALID', `clocks are further apart than catchupMarginSeconds (${marginSeconds}): ${problems.join('; ')}`, {
      hint: `set catchupMarginSeconds to at least ${needed} (--set catchupMarginSeconds=${needed}), and mind the application's own clocks (they time its writes), or fix the clocks (NTP)`,
      context: { key: 'catchupMarginSeconds' },
    });
  }
  return Math.max(0, ...clocks.nodes.map((node) => Math.abs(node.offsetMs - clocks.target.offsetMs)));
}
