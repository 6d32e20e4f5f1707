import type { Redis } from 'ioredis';
import type { TargetEndpoint } from '../sink/index.js';
import { leaseKey, openedKey } from './redis-keys.js';

/**
 * Picks, among nodes under the cap, the one with the fewest live leases (ties: fewest opened over the run), and
 * leases it. Time is Redis's own, so workers' clocks do not matter; expired leases (a dead worker's) are dropped.
 * KEYS: one lease set per node, then the opened hash. ARGV: holder, lease ms, cap (0 = none), node names.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nodes = #KEYS - 1
local cap = tonumber(ARGV[3])
local best, bestCount, bestOpened = -1, 0, 0
for i = 1, nodes do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local count = redis.call('ZCARD', KEYS[i])
  if cap == 0 or count < cap then
    local opened = tonumber(redis.call('HGET', KEYS[nodes + 1], ARGV[3 + i]) or '0')
    if best == -1 or count < bestCount or (count == bestCount and opened < bestOpened) then
      best, bestCount, bestOpened = i, count, opened
    end
  end
end
if best == -1 then return -1 end
redis.call('ZADD', KEYS[best], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[best], 7 * 24 * 3600 * 1000)
redis.call('HINCRBY', KEYS[nodes + 1], ARGV[3 + best], 1)
redis.call('PEXPIRE', KEYS[nodes + 1], 7 * 24 * 3600 * 1000)
return best - 1
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

/** The per-target-node cap of a run, held across every worker: each open COPY stream holds a lease on its node. */
export class NodeLeases {
  constructor(
    private readonly redis: Redis,
    private readonly runId: string,
    private readonly endpoints: readonly TargetEndpoint[],
    private readonly options: { readonly loadBalance: boolean; readonly maxPerNode: number | undefined; readonly leaseMs: number },
  ) {}

  /** A node for `holder`'s stream, or undefined when every allowed node is at its cap. */
  async acquire(holder: string): Promise<TargetEndpoint | undefined> {
    const candidates = this.options.loadBalance ? this.endpoints : this.endpoints.slice(0, 1);
    const keys = [...candidates.map((endpoint) => leaseKey(this.runId, endpoint.key)), openedKey(this.runId)];
    const index = Number(await this.redis.eval(ACQUIRE, keys.length, ...keys, holder, this.options.leaseMs, this.options.maxPerNode ?? 0, ...candidates.map((e) => e.key)));
    return index < 0 ? undefined : candidates[index];
  }

  /** Keeps the lease alive; false when it had expired (the holder was presumed dead). */
  async renew(endpoint: TargetEndpoint, holder: string): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, leaseKey(this.runId, endpoint.key), holder, this.options.leaseMs)) === 1;
  }

  async release(endpoint: TargetEndpoint, holder: string): Promise<void> {
    await this.redis.zrem(leaseKey(this.runId, endpoint.key), holder);
  }
}

/**
 * Renews a stream's node lease and aborts `lost` when it cannot: Redis says the lease expired (another stream may
 * hold the slot now), or no renewal has been confirmed for two thirds of the lease, so it may lapse before the next.
 * Stopping then keeps target.maxConnectionsPerNode true across workers.
 */
export function watchLease(leases: NodeLeases, endpoint: TargetEndpoint, holder: string, leaseMs: number, onLost: (why: string) => void): { lost: AbortSignal; stop: () => void } {
  const lost = new AbortController();
  let confirmedAt = Date.now();
  const lose = (why: string): void => {
    if (lost.signal.aborted) return;
    onLost(why);
    lost.abort();
  };
  const timer = setInterval(() => {
    void leases.renew(endpoint, holder).then(
      (held) => (held ? (confirmedAt = Date.now()) : lose('Redis says it expired')),
      () => undefined,
    );
    if (Date.now() - confirmedAt > (leaseMs * 2) / 3) lose(`no renewal confirmed for ${Math.round((Date.now() - confirmedAt) / 1000)} s`);
  }, Math.max(250, leaseMs / 6));
  return { lost: lost.signal, stop: () => clearInterval(timer) };
}
