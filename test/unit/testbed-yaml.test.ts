import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { initialTokens, } from '../../src/testbed/index.js';
import { renderCassandraYaml } from '../../src/testbed/cassandra-yaml.js';

describe('test bed ring layout', () => {
  it('spreads tokens evenly over the Murmur3 ring', () => {
    const tokens = initialTokens(3);
    expect(tokens[0]).toBe(-(2n ** 63n));
    const gaps = [tokens[1]! - tokens[0]!, tokens[2]! - tokens[1]!, 2n ** 63n - tokens[2]! + (tokens[0]! + 2n ** 63n)];
    for (const gap of gaps) expect(Number(gap) / 2 ** 64).toBeCloseTo(1 / 3, 6);
  });

  it('renders the keys Cassandra 5.0 requires', () => {
    const yaml = parse(renderCassandraYaml({ address: '127.0.0.2', seeds: '127.0.0.1:7000', initialToken: 42n, dir: '/x', nativePort: 9042, storagePort: 7000 })) as Record<string, unknown>;
    for (const key of ['commitlog_sync', 'partitioner', 'endpoint_snitch', 'seed_provider']) expect(yaml).toHaveProperty(key);
    expect(yaml).toMatchObject({ listen_address: '127.0.0.2', rpc_address: '127.0.0.2', initial_token: 42, num_tokens: 1 });
  });
});
