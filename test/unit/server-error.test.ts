import { describe, expect, it } from 'vitest';
import { EXIT, serverRefusalHint, targetServerError } from '../../src/errors/index.js';
import { copyFailed, retryCannotHelp } from '../../src/sink/index.js';

describe('targetServerError', () => {
  it('types a PostgreSQL ErrorResponse with its SQLSTATE and the server\'s message', () => {
    const refused = Object.assign(new Error('permission denied for table runs'), { code: '42501', severity: 'ERROR' });
    const typed = targetServerError(refused);
    expect(typed?.code).toBe('TARGET_QUERY_FAILED');
    expect(typed?.exitCode).toBe(EXIT.resumable);
    expect(typed?.message).toBe('the target refused a statement: permission denied for table runs (SQLSTATE 42501)');
  });

  it('says what to do next by SQLSTATE: a read-only target, a missing grant, a timeout, no connection left, a login; else the generic step', () => {
    const hint = (sqlstate: string): string => serverRefusalHint({ sqlstate, message: 'x' }, 'resume');
    expect(hint('25006')).toMatch(/^the target is read-only .*point target\.hosts at a primary.*; then resume$/);
    expect(hint('42501')).toMatch(/lacks a privilege.*grant it/);
    expect(hint('57014')).toMatch(/cancelled: by a statement_timeout/);
    expect(hint('55P03')).toMatch(/lock_timeout.*pg_locks/);
    expect(hint('53300')).toMatch(/max_connections.*lower parallelism/);
    expect(hint('53100')).toMatch(/ran out of a resource/);
    expect(hint('28P01')).toMatch(/refused the login/);
    expect(hint('3D000')).toMatch(/database does not exist/);
    expect(hint('57P01')).toMatch(/shutting down or restarting/);
    expect(hint('XX000')).toMatch(/^the message is the server's own reason/);
    const typed = targetServerError(Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006', severity: 'ERROR' }));
    expect(typed?.hint).toMatch(/^the target is read-only .*; then run the command again \(a run: with --resume\)$/);
  });

  it('leaves alone what is not a server\'s refusal: a Cassandra driver error (numeric code), a Node error code, a plain error', () => {
    expect(targetServerError(Object.assign(new Error('Unavailable'), { code: 0x1000 }))).toBeUndefined();
    expect(targetServerError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(targetServerError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBeUndefined();
    expect(targetServerError(new Error('plain'))).toBeUndefined();
    expect(targetServerError(null)).toBeUndefined();
  });
});

describe('copyFailed', () => {
  const refusal = (code: string, message: string): Error => Object.assign(new Error(message), { code, severity: 'ERROR' });

  it('a target table changed under the run (class 42) is not retried: the SQLSTATE and what to put back', () => {
    // Before: retryable, with "the message above names the value or node" whatever the server said.
    const error = copyFailed(refusal('42703', 'column "payload" of relation "events" does not exist'), { split: 3 });
    expect(error.code).toBe('TARGET_WRITE_FAILED');
    expect(error.message).toBe('COPY into the target failed: column "payload" of relation "events" does not exist (SQLSTATE 42703)');
    expect(error.retryable).toBe(false);
    expect(error.hint).toMatch(/^the target table changed during the run .*; then resume$/);
    expect(copyFailed(refusal('42501', 'permission denied for table events'), {}).retryable).toBe(false);
    expect(copyFailed(refusal('42P01', 'relation "events" does not exist'), {}).hint).toMatch(/target table changed/);
  });

  it('refused data is not retried; a read-only target or a cancel is, with what to do if the retries run out', () => {
    expect(copyFailed(refusal('22P02', 'invalid input syntax'), {}).retryable).toBe(false);
    const readOnly = copyFailed(refusal('25006', 'cannot execute COPY FROM in a read-only transaction'), {});
    expect(readOnly.retryable).toBe(true);
    expect(readOnly.hint).toMatch(/^the target is read-only .*; then resume$/);
    const dropped = copyFailed(new Error('Connection terminated unexpectedly'), {});
    expect(dropped.retryable).toBe(true);
    expect(dropped.message).toBe('COPY into the target failed: Connection terminated unexpectedly');
    expect(dropped.hint).toMatch(/^c2y retries the split/);
  });
});

describe('retryCannotHelp (split COPYs and the live apply alike)', () => {
  const refusal = (code: string): Error => Object.assign(new Error(code), { code, severity: 'ERROR' });

  it('is true for refused data and for what a statement names that is not there or not granted; false for the rest', () => {
    for (const code of ['22P02', '23505', '42703', '42P01', '42501']) expect(retryCannotHelp(refusal(code)), code).toBe(true);
    for (const code of ['25006', '57014', '57P01', '40001', '53300']) expect(retryCannotHelp(refusal(code)), code).toBe(false);
    expect(retryCannotHelp(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(retryCannotHelp(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
  });
});
