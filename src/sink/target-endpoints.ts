import { C2yError } from '../errors/index.js';

export interface TargetEndpoint {
  readonly host: string;
  readonly port: number;
  /** host:port, the key streams are counted under. */
  readonly key: string;
}

export function parseTargetHosts(hosts: readonly string[], defaultPort: number): TargetEndpoint[] {
  return hosts.map((entry) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim());
    if (!match) throw new C2yError('CONFIG_INVALID', `target.hosts entry "${entry}" is not host or host:port`, { hint: 'e.g. target.hosts: [10.0.0.1:5433, 10.0.0.2:5433]' });
    const host = (match[1] as string).replace(/^\[|\]$/g, '');
    const port = match[2] ? Number(match[2]) : defaultPort;
    return { host, port, key: `${host}:${port}` };
  });
}

/**
 * The first of target.hosts: the node a command sends its own statements to (checkpoints, status, schema). An empty
 * list is refused with `hint` (what to set where the command is run).
 */
export function firstTargetEndpoint(target: { readonly hosts: readonly string[]; readonly port: number }, hint = 'set target.hosts'): TargetEndpoint {
  const endpoint = parseTargetHosts(target.hosts, target.port)[0];
  if (!endpoint) throw new C2yError('CONFIG_INVALID', 'target.hosts is empty', { hint });
  return endpoint;
}

/**
 * Hands each new task connection the node with the fewest open c2y connections (so nodes differ by at most one),
 * never more than maxPerNode on a node. With load balancing off, every connection goes to the first node.
 */
export class ConnectionBalancer {
  private readonly open = new Map<string, number>();
  private readonly opened = new Map<string, number>();

  constructor(
    private readonly endpoints: readonly TargetEndpoint[],
    private readonly loadBalance: boolean,
    private readonly maxPerNode: number | undefined,
  ) {
    for (const endpoint of endpoints) {
      this.open.set(endpoint.key, 0);
      this.opened.set(endpoint.key, 0);
    }
  }

  /** An endpoint with room, or undefined when every allowed node is at its cap. */
  acquire(): TargetEndpoint | undefined {
    const candidates = this.loadBalance ? this.endpoints : this.endpoints.slice(0, 1);
    let best: TargetEndpoint | undefined;
    for (const endpoint of candidates) {
      const count = this.open.get(endpoint.key) ?? 0;
      if (this.maxPerNode !== undefined && count >= this.maxPerNode) continue;
      const bestCount = best === undefined ? Number.POSITIVE_INFINITY : (this.open.get(best.key) ?? 0);
      // Fewest open now; on a tie, fewest opened so far, so the run's streams per node stay even too.
      if (count < bestCount || (count === bestCount && best !== undefined && (this.opened.get(endpoint.key) ?? 0) < (this.opened.get(best.key) ?? 0))) best = endpoint;
    }
    if (best) {
      this.open.set(best.key, (this.open.get(best.key) ?? 0) + 1);
      this.opened.set(best.key, (this.opened.get(best.key) ?? 0) + 1);
    }
    return best;
  }

  release(endpoint: TargetEndpoint): void {
    this.open.set(endpoint.key, Math.max(0, (this.open.get(endpoint.key) ?? 0) - 1));
  }

  /** Connections opened over the run per node. */
  openedPerNode(): Record<string, number> {
    return Object.fromEntries(this.opened);
  }

  /** Connections open right now per node. */
  openPerNode(): Record<string, number> {
    return Object.fromEntries(this.open);
  }
}
