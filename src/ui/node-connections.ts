import type { TargetConfig } from '../config/index.js';
import { openTarget, type TargetClient, type TargetEndpoint } from '../sink/index.js';
import type { NodeReading } from './dashboard-state.js';

/** How often each target node is asked how many of this run's connections it holds. */
const POLL_MS = 2000;

/**
 * Reads, from each target node's own pg_stat_activity, the connections whose application_name marks them as this
 * run's (`c2y <runId> …`), over one small connection per node. A node that cannot be read shows null, never stale data.
 */
export class NodeConnectionsPoller {
  readonly readings = new Map<string, NodeReading>();
  private readonly clients = new Map<string, TargetClient>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly endpoints: readonly TargetEndpoint[],
    private readonly target: TargetConfig,
    private readonly runId: string,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.timer.unref();
  }

  private tick(): void {
    if (this.polling || this.stopped) return;
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
    });
  }

  private async poll(): Promise<void> {
    await Promise.all(this.endpoints.map(async (endpoint) => {
      try {
        let client = this.clients.get(endpoint.key);
        if (!client) {
          client = await openTarget(endpoint, this.target, 'c2y dashboard');
          this.clients.set(endpoint.key, client);
        }
        if (this.stopped) return;
        const result = await client.query<{ n: number; addr: string | null; port: number | null }>(
          // A keyspace run's streams are named by their table's run (<run>-tNNN).
          "SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE application_name LIKE $1 OR application_name LIKE $2) AS n, host(inet_server_addr()) AS addr, inet_server_port() AS port",
          [`c2y ${this.runId} %`, `c2y ${this.runId}-t% %`],
        );
        const row = result.rows[0];
        this.readings.set(endpoint.key, { serverConnections: row?.n ?? null, serverAddress: row?.addr ? `${row.addr}:${row.port}` : null });
      } catch {
        this.readings.set(endpoint.key, { serverConnections: null, serverAddress: null });
        const client = this.clients.get(endpoint.key);
        this.clients.delete(endpoint.key);
        await client?.end().catch(() => undefined);
      }
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // A poll under way may still be opening connections: let it finish, then close them all.
    await this.polling;
    await Promise.all([...this.clients.values()].map((client) => client.end().catch(() => undefined)));
    this.clients.clear();
  }
}
