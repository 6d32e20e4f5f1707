import type cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { pickReplica } from '../../src/source/index.js';

function host(address: string, datacenter: string, up = true): cassandra.Host {
  return { address, datacenter, isUp: () => up } as unknown as cassandra.Host;
}

describe('pages are pinned to replicas in the local data center only', () => {
  const replicas = [host('10.0.0.1', 'dc1'), host('10.1.0.1', 'dc2'), host('10.0.0.2', 'dc1'), host('10.2.0.1', 'dc3')];

  it('turns over the local replicas, never a remote one, whatever the turn', () => {
    const picked = new Set(Array.from({ length: 12 }, (_, turn) => pickReplica(replicas, 'dc1', turn)?.address));
    expect([...picked].sort()).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('skips a local replica that is down; with none up locally, leaves the page to the (DC-aware) policy', () => {
    expect(pickReplica([host('10.0.0.1', 'dc1', false), host('10.1.0.1', 'dc2'), host('10.0.0.2', 'dc1')], 'dc1', 0)?.address).toBe('10.0.0.2');
    expect(pickReplica([host('10.0.0.1', 'dc1', false), host('10.1.0.1', 'dc2'), undefined], 'dc1', 1)).toBeUndefined();
  });
});
