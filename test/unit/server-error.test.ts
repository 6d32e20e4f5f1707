import { describe, expect, it } from 'vitest';
import { EXIT, serverRefusalHint, targetServerError } from '../../src/errors/index.js';

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
