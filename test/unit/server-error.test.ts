import { describe, expect, it } from 'vitest';
import { EXIT, targetServerError } from '../../src/errors/index.js';

describe('targetServerError', () => {
  it('types a PostgreSQL ErrorResponse with its SQLSTATE and the server\'s message', () => {
    const refused = Object.assign(new Error('permission denied for table runs'), { code: '42501', severity: 'ERROR' });
    const typed = targetServerError(refused);
    expect(typed?.code).toBe('TARGET_QUERY_FAILED');
    expect(typed?.exitCode).toBe(EXIT.resumable);
    expect(typed?.message).toBe('the target refused a statement: permission denied for table runs (SQLSTATE 42501)');
  });

  it('leaves alone what is not a server\'s refusal: a Cassandra driver error (numeric code), a Node error code, a plain error', () => {
    expect(targetServerError(Object.assign(new Error('Unavailable'), { code: 0x1000 }))).toBeUndefined();
    expect(targetServerError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(targetServerError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBeUndefined();
    expect(targetServerError(new Error('plain'))).toBeUndefined();
    expect(targetServerError(null)).toBeUndefined();
  });
});
