// Before pg: see node-navigator.ts.
import './node-navigator.js';
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import type { TargetConfig } from '../config/index.js';
import { tlsOptionsFor } from '../tls/index.js';
import { C2yError, messageOf, serverRefusalHint, serverRefusalOf } from '../errors/index.js';
import type { TargetDialect } from '../schema/index.js';
import type { TargetEndpoint } from './target-endpoints.js';
import { liftSqlFor, type TimeoutLift } from './session-timeouts.js';

export type TargetClient = pg.Client;

/** The slice of pg the checkpoint store and table checks need, so tests can hand them any client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

function tlsSetting(endpoint: TargetEndpoint, config: TargetConfig): { ssl?: ConnectionOptions } {
  const options = tlsOptionsFor(config.sslMode, config.sslRootCert, 'target.sslRootCert', endpoint.host, { cert: config.sslCert, key: config.sslKey, certKey: 'target.sslCert', keyKey: 'target.sslKey' });
  return options === undefined ? {} : { ssl: options };
}

/**
 * A connection to one target node, named `applicationName`, with the server's timeouts that `lift` says lifted for
 * the session (session-timeouts.ts; by default the idle-session one, which would end it while c2y waits).
 */
export async function openTarget(endpoint: TargetEndpoint, config: TargetConfig, applicationName: string, lift: TimeoutLift = 'idle'): Promise<TargetClient> {
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
    throw unreachable(endpoint, config, error);
  }
  const liftSql = liftSqlFor(lift);
  // A separate round trip: a startup packet's `options` would carry them free, but poolers (PgBouncer) refuse it.
  if (liftSql !== undefined) {
    await liftTimeouts(client, liftSql).catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw unreachable(endpoint, config, error);
    });
  }
  return client;
}

/** SQLSTATE 57014: the statement was cancelled, here by the statement_timeout being lifted. */
const QUERY_CANCELED = '57014';
const LIFT_ATTEMPTS = 3;

/**
 * The lift, again if the server's statement_timeout cancelled it: a new backend's first statement loads its catalog
 * caches (~1–2 ms), which a tight timeout cuts; the same statement again takes microseconds (a 1 ms statement_timeout
 * cancelled the first try on each of 30 new connections, a second succeeded on 29, a third on the last).
 */
async function liftTimeouts(client: TargetClient, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== QUERY_CANCELED || attempt >= LIFT_ATTEMPTS) throw error;
    }
  }
}

/** The node refused or never answered; a refusal (no connection left, a login, a database missing) says its SQLSTATE's next step. */
function unreachable(endpoint: TargetEndpoint, config: TargetConfig, error: unknown): C2yError {
  const refusal = serverRefusalOf(error);
  const reason = refusal === undefined ? messageOf(error) : `${refusal.message} (SQLSTATE ${refusal.sqlstate})`;
  return new C2yError('TARGET_UNREACHABLE', `cannot connect to the target at ${endpoint.key} (database ${config.database}, user ${config.user}): ${reason}`, {
    hint: refusal === undefined
      ? 'check target.hosts, target.database, target.user and the password, and that the node accepts connections'
      : serverRefusalHint(refusal, 'run again'),
    retryable: true,
    context: { node: endpoint.key, ...(refusal === undefined ? {} : { sqlstate: refusal.sqlstate }) },
  });
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

