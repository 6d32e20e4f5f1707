import { C2yError, messageOf, serverRefusalHint, serverRefusalOf } from '../errors/index.js';

/**
 * A run's preparation failed on something untyped: the target's refusal (read-only, a missing grant, a timeout) says
 * its SQLSTATE and what to do about it; anything else, its message. Nothing was written either way.
 */
export function prepareFailed(what: string, error: unknown): C2yError {
  const refusal = serverRefusalOf(error);
  const detail = refusal === undefined ? messageOf(error) : `the target refused a statement: ${refusal.message} (SQLSTATE ${refusal.sqlstate})`;
  return new C2yError('PREPARE_FAILED', `preparing ${what} failed before any row moved: ${detail}`, {
    hint: refusal === undefined ? 'see the message; nothing was written' : serverRefusalHint(refusal, 'run it again (nothing was written)'),
    retryable: true,
    ...(refusal === undefined ? {} : { context: { sqlstate: refusal.sqlstate } }),
  });
}
