// Before pg: see node-navigator.ts.
import './node-navigator.js';
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import type { TargetConfig } from '../config/index.js';
import { tlsOptionsFor } from '../tls/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import type { TargetDialect } from '../schema/index.js';
import type { TargetEndpoint } from './target-endpoints.js';

export type TargetClient = pg.Client;

/** The slice of pg the checkpoint store and table checks need, so tests can hand them any client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

function tlsSetting(endpoint: TargetEndpoint, config: TargetConfig): { ssl?: ConnectionOptions } {
  const options = tlsOptionsFor(config.sslMode, config.sslRootCert, 'target.sslRootCert', endpoint.host, { cert: config.sslCert, key: config.sslKey, certKey: 'target.sslCert', keyKey: 'target.sslKey' });
  return options === undefined ? {} : { ssl: options };
}

export async function openTarget(endpoint: TargetEndpoint, config: TargetConfig, applicationName: string): Promise<TargetClient> {
  // The node keeps its own name (per-node caps, TLS host check); this process may dial it elsewhere (target.addressMap).
  const dial = /^(.*):(\d+)$/.exec(config.addressMap[endpoint.key] ?? endpoint.key);
  const client = new pg.Client({
    host: dial ? (dial[1] as string) : endpoint.host,
    port: dial ? Number(dial[2]) : endpoint.port,
    database: config.database,
    user: config.user,
    ...(config.password !== undefined ? { password: config.password } : {}),
    application_name: applicationName.slice(0, 63),
    ...tlsSetting(endpoint, config),
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  // An idle client's socket error must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new C2yError('TARGET_UNREACHABLE', `cannot connect to the target at ${endpoint.key} (database ${config.database}, user ${config.user}): ${messageOf(error)}`, {
      hint: 'check target.hosts, target.database, target.user and the password, and that the node accepts connections',
      retryable: true,
      context: { node: endpoint.key },
    });
  }
  return client;
}

export interface ServerInfo {
  readonly dialect: TargetDialect;
  readonly version: string;
  /** Where the server says this connection landed: inet_server_addr():inet_server_port(). */
  readonly serverAddress: string;
}

/** What describeServer asks, also sent inside a split's first statements (see session-setup.ts). */
export const SERVER_DESCRIPTION_SQL = 'SELECT version() AS version, host(inet_server_addr()) AS addr, inet_server_port() AS port';

export async function describeServer(client: Queryable): Promise<ServerInfo> {
  return serverInfoOf((await client.query(SERVER_DESCRIPTION_SQL)).rows[0]);
}

/** The server description from SERVER_DESCRIPTION_SQL's row; a missing or odd row is the server's fault, said so. */
export function serverInfoOf(found: Record<string, unknown> | undefined): ServerInfo {
  if (typeof found?.['version'] !== 'string') {
    throw new C2yError('TARGET_WRITE_FAILED', 'the target did not say which server it is (version() returned no text)', { hint: 'check that target.hosts names a PostgreSQL or YugabyteDB YSQL node', retryable: true });
  }
  const row = found as { version: string; addr: string | null; port: number | null };
  return {
    dialect: /-YB-/.test(row.version) ? 'yugabyte' : 'postgres',
    version: row.version,
    serverAddress: row.addr === null ? 'local socket' : `${row.addr}:${row.port}`,
  };
}

