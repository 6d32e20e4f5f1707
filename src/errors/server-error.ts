import { C2yError } from './c2y-error.js';

/** What a server's refusal is made of: its SQLSTATE and message (the ErrorResponse's code and message fields). */
export interface ServerRefusal {
  readonly sqlstate: string;
  readonly message: string;
}

/**
 * A PostgreSQL (or YugabyteDB) server's refusal of a statement: an ErrorResponse carries a SQLSTATE code and a
 * severity, and its message is the server's own reason. Undefined for anything else (a Cassandra driver error's code
 * is a number, Node's are words).
 */
export function serverRefusalOf(error: unknown): ServerRefusal | undefined {
  const refused = error as { code?: unknown; severity?: unknown; message?: unknown } | null;
  if (typeof refused?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(refused.code) || typeof refused.severity !== 'string') return undefined;
  return { sqlstate: refused.code, message: String(refused.message) };
}

/** By SQLSTATE (a code, or its class's first two characters): what the user does next. First match wins. */
const NEXT_STEPS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^25006$/, 'the target is read-only (a standby, or default_transaction_read_only on the role or database): point target.hosts at a primary, or lift the setting'],
  [/^42501$/, 'the target\'s user lacks a privilege the message names: grant it (CREATE on the database and schema, INSERT and TRUNCATE on the table), or set target.user to a user that has it'],
  [/^57014$/, 'the statement was cancelled: by a statement_timeout on the role or database, or by an operator; lift the timeout for c2y\'s user, or run again'],
  [/^55P03$/, 'a lock was not granted within the lock_timeout set on the role or database: another session holds it (see pg_locks); let it end, then run again'],
  [/^53300$/, 'the target has no connection left (max_connections, or a connection limit on the role or database): lower parallelism or target.maxConnectionsPerNode, or raise the limit'],
  [/^3D000$/, 'the database does not exist on the target: create it, or fix target.database'],
  [/^28/, 'the target refused the login: check target.user and target.password, and the server\'s pg_hba.conf'],
  [/^57P0[1-3]$/, 'the target is shutting down or restarting: wait until it answers, then run again'],
  [/^53/, 'the target ran out of a resource (disk, memory): free it, then run again'],
  [/^(42703|42P01|42804)$/, 'the target table changed during the run (a column or the table renamed, dropped or retyped): put it back as c2y planned it (a dropped column took the rows already copied with it: validate, or start over with --restart)'],
];

/**
 * Refusals a retry of the same statement cannot change: the statement itself or the objects and grants it names
 * (class 42: a column gone, a privilege missing). Retried, each split spent its retries and their backoff (10
 * retries, 91 s in migrate.test) before the run said what an operator had to fix.
 */
export function refusalNeedsOperator(refusal: ServerRefusal): boolean {
  return refusal.sqlstate.startsWith('42');
}

const GENERIC_STEP = 'the message is the server\'s own reason: fix what it names (a grant, a timeout or lock held on the role or database, the server\'s state)';

/** What to do about a server's refusal, from its SQLSTATE; `again` says how to go on afterwards. */
export function serverRefusalHint(refusal: ServerRefusal, again: string): string {
  return `${serverRefusalStep(refusal) ?? GENERIC_STEP}; then ${again}`;
}

/** What to do about a refusal whose SQLSTATE c2y knows; undefined for the others. */
export function serverRefusalStep(refusal: ServerRefusal): string | undefined {
  return NEXT_STEPS.find(([pattern]) => pattern.test(refusal.sqlstate))?.[1];
}

/** A server's refusal as a typed error (untyped, it reached the CLI as "a bug in c2y"); undefined for anything else. */
export function targetServerError(error: unknown): C2yError | undefined {
  const refusal = serverRefusalOf(error);
  if (refusal === undefined) return undefined;
  return new C2yError('TARGET_QUERY_FAILED', `the target refused a statement: ${refusal.message} (SQLSTATE ${refusal.sqlstate})`, {
    hint: serverRefusalHint(refusal, 'run the command again (a run: with --resume)'),
    retryable: true,
    context: { sqlstate: refusal.sqlstate },
  });
}
