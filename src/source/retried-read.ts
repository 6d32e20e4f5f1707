import cassandra from 'cassandra-driver';
import { PAGE_RETRY, withRetries } from '../errors/index.js';
import type { CassandraClient } from './cassandra-session.js';

/** A read another try may answer: a timeout, too few replicas up, a node overloaded or starting. */
export function isTransientRead(error: unknown): boolean {
  const driverError = error as { code?: unknown; name?: unknown } | null;
  const codes = cassandra.types.responseErrorCodes;
  if (driverError?.name === 'OperationTimedOutError' || driverError?.name === 'NoHostAvailableError') return true;
  return [codes.readTimeout, codes.unavailableException, codes.overloaded, codes.isBootstrapping].includes(driverError?.code as number);
}

/** Tries of a read outside a split (a measure, a TTL scan's page): a busy node's timeout must not end what reads it. */
const READ_ATTEMPTS = 4;

/**
 * One idempotent read (a page, with its paging state), asked again after a transient failure; any other failure, or
 * the fourth, is thrown as it was. A signal that aborts ends a wait at once.
 */
export function retriedRead(client: CassandraClient, cql: string, params: readonly unknown[], options: cassandra.QueryOptions, signal?: AbortSignal): Promise<cassandra.types.ResultSet> {
  const read = (): Promise<cassandra.types.ResultSet> => client.execute(cql, [...params], { prepare: true, isIdempotent: true, ...options });
  return withRetries(PAGE_RETRY, READ_ATTEMPTS, read, { retryable: isTransientRead, ...(signal ? { signal } : {}) });
}
