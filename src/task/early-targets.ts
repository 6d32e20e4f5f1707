import type { C2yConfig } from '../config/index.js';
import { openTarget, parseTargetHosts, type IdleConnections, type TargetClient, type TargetEndpoint } from '../sink/index.js';
import { streamsPerExecutor } from './executor-streams.js';

type TargetConfig = C2yConfig['target'];

/** What a prestarted executor connects to while the driver plans: `count` connections over `endpoints`, in turn. */
export interface EarlyTarget {
  readonly target: TargetConfig;
  readonly endpoints: readonly TargetEndpoint[];
  readonly count: number;
}

/**
 * The early connections executor `index` of a local run opens: one per stream it will run (its cores, no more than
 * its share of the parallelism), over target.hosts as the balancer spreads streams (the first node only when
 * target.loadBalance is off), starting at a different node for each executor. None under
 * target.maxConnectionsPerNode: there every split connects anew, so that the cap counts every session.
 */
export function earlyTargetOf(config: C2yConfig, index: number): EarlyTarget | undefined {
  if (config.target.maxConnectionsPerNode !== undefined) return undefined;
  let hosts: TargetEndpoint[];
  try {
    hosts = parseTargetHosts(config.target.hosts, config.target.port);
  } catch {
    // A bad entry is the plan's to report, with its hint; nothing opens early.
    return undefined;
  }
  const usable = config.target.loadBalance ? hosts : hosts.slice(0, 1);
  const count = streamsPerExecutor(config.cores, config.executors, config.parallelism);
  if (usable.length === 0 || count <= 0) return undefined;
  const first = (index * count) % usable.length;
  return { target: config.target, endpoints: [...usable.slice(first), ...usable.slice(0, first)], count };
}

/** Only these settings decide how a connection is made and who it logs in as; init's must equal connect's. */
function sessionKey(target: TargetConfig): string {
  const { database, user, password, sslMode, sslRootCert, sslCert, sslKey, addressMap } = target;
  return JSON.stringify({ database, user, password, sslMode, sslRootCert, sslCert, sslKey, addressMap });
}

/**
 * Target connections opened ahead of the run: the TCP handshake and the start-up (more with TLS or a password) are
 * two or more round trips a stream would otherwise wait for after the plan, every stream at once. Their sessions are
 * set up by the first split that takes each (session-setup.ts). A failure here is silent: that split connects
 * itself and reports its own error.
 */
export class EarlyTargetConnections {
  private constructor(
    private readonly key: string,
    private readonly openings: ReadonlyArray<{ readonly node: string; readonly opening: Promise<TargetClient | undefined> }>,
  ) {}

  static open(early: EarlyTarget): EarlyTargetConnections {
    const openings = Array.from({ length: early.count }, (_, i) => {
      const endpoint = early.endpoints[i % early.endpoints.length] as TargetEndpoint;
      const opening = openTarget(endpoint, early.target, 'c2y executor, before its run').catch(() => undefined);
      return { node: endpoint.key, opening };
    });
    return new EarlyTargetConnections(sessionKey(early.target), openings);
  }

  /** At init: to the executor's kept connections when the run logs in as these did; else (or with none kept) closed. */
  handTo(target: TargetConfig, connections: IdleConnections | undefined): void {
    const usable = connections !== undefined && sessionKey(target) === this.key;
    for (const { node, opening } of this.openings) {
      if (usable) connections.expect(node, opening);
      else void opening.then((client) => client?.end().catch(() => undefined));
    }
  }
}
