import { C2yError } from './c2y-error.js';

/**
 * A PostgreSQL (or YugabyteDB) server's refusal of a statement, as a typed error: an ErrorResponse carries a SQLSTATE
 * code and a severity, and its message is the server's own reason (a permission, a lock or statement timeout set on
 * the role or database, the server shutting down). Untyped, it reached the CLI as "a bug in c2y". Undefined for
 * anything else (a Cassandra driver error's code is a number).
 */
export function targetServerError(error: unknown): C2yError | undefined {
  const refused = error as { code?: unknown; severity?: unknown; message?: unknown } | null;
  if (typeof refused?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(refused.code) || typeof refused.severity !== 'string') return undefined;
  return new C2yError('TARGET_QUERY_FAILED', `the target refused a statement: ${String(refused.message)} (SQLSTATE ${refused.code})`, {
    hint: 'the message is the server\'s own reason: fix what it names (a grant, a timeout or lock held on the role or database, the server\'s state) and run the command again (a run: with --resume)',
    retryable: true,
    context: { sqlstate: refused.code },
  });
}
