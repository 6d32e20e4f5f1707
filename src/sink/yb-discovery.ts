import { connect } from 'node:net';
import type { Queryable } from './target-client.js';
import type { TargetEndpoint } from './target-endpoints.js';

/** A node as YugabyteDB's yb_servers() lists it: its own (often private) address, and the public one if set. */
export interface YbServer {
  readonly host: string;
  readonly port: number;
  readonly publicIp: string | null;
}

export async function listYbServers(client: Queryable): Promise<YbServer[]> {
  const result = await client.query<{ host: string; port: number; public_ip: string | null }>('SELECT host, port, public_ip FROM yb_servers()');
  return result.rows.map((row) => ({ host: row.host, port: Number(row.port), publicIp: row.public_ip === null || row.public_ip === '' ? null : row.public_ip }));
}

/** Whether this machine can open a TCP connection to host:port within the time given. */
export function isReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface DiscoveryOutcome {
  readonly endpoints: readonly TargetEndpoint[];
  /** What the log says: which address each node got, which were dropped, or why discovery was not used. */
  readonly notes: readonly string[];
}

/**
 * The nodes to spread streams over: each listed node by its own address if this machine reaches it, else by its public
 * address; a node reached by neither is left out. Discovery never trades reachable configured hosts for unreachable
 * internal ones: when no listed node is reachable, the configured hosts stay.
 */
export async function chooseEndpoints(configured: readonly TargetEndpoint[], servers: readonly YbServer[], reachable: (host: string, port: number) => Promise<boolean>): Promise<DiscoveryOutcome> {
  const notes: string[] = [];
  const chosen: TargetEndpoint[] = [];
  for (const server of servers) {
    const candidates = [server.host, ...(server.publicIp && server.publicIp !== server.host ? [server.publicIp] : [])];
    let picked: string | undefined;
    for (const host of candidates) {
      if (await reachable(host, server.port)) {
        picked = host;
        break;
      }
    }
    if (picked === undefined) notes.push(`node ${server.host}:${server.port}${server.publicIp ? ` (public ${server.publicIp})` : ''} is not reachable from here: left out`);
    else {
      if (picked !== server.host) notes.push(`node ${server.host}:${server.port} is reached by its public address ${picked}`);
      if (!chosen.some((e) => e.key === `${picked}:${server.port}`)) chosen.push({ host: picked, port: server.port, key: `${picked}:${server.port}` });
    }
  }
  if (chosen.length === 0) return { endpoints: configured, notes: [...notes, 'no node yb_servers() lists is reachable from here: using the configured target.hosts'] };
  return { endpoints: chosen, notes };
}
