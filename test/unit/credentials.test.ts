import { describe, expect, it } from 'vitest';
import { withPromptedPasswords } from '../../src/cli/password-prompt.js';
import { loadConfig, tlsOptionsFor, tlsWarnings } from '../../src/config/index.js';

const base = { flags: { 'source.keyspace': 'ks', 'source.table': 't' } };

describe('TLS options', () => {
  it('verify-full checks chain and the host c2y connects to; verify-ca the chain only; require nothing; disable no TLS', () => {
    expect(tlsOptionsFor('disable', undefined, 'k')).toBeUndefined();
    expect(tlsOptionsFor('require', undefined, 'k')).toEqual({ rejectUnauthorized: false });
    const full = tlsOptionsFor('verify-full', undefined, 'k', '127.0.0.2');
    expect(full?.rejectUnauthorized).toBe(true);
    // The check is against the address itself: a certificate naming only 127.0.0.1 fails for 127.0.0.2.
    const cert = { subject: { CN: 'x' }, subjectaltname: 'IP Address:127.0.0.1' } as never;
    expect(full?.checkServerIdentity?.('localhost', cert)).toBeInstanceOf(Error);
    expect(tlsOptionsFor('verify-full', undefined, 'k', '127.0.0.1')?.checkServerIdentity?.('localhost', cert)).toBeUndefined();
    expect(tlsOptionsFor('verify-ca', undefined, 'k', '127.0.0.2')?.checkServerIdentity?.('localhost', cert)).toBeUndefined();
    expect(tlsOptionsFor('verify-full', undefined, 'k')?.checkServerIdentity).toBeUndefined();
  });

  it('a CA file that cannot be read is a config error naming the key', () => {
    expect(() => tlsOptionsFor('verify-full', '/nonexistent/ca.pem', 'target.sslRootCert', 'h')).toThrow(/config key "target.sslRootCert": cannot read the CA file/);
  });

  it('require, the opt-out, is a warning every run logs', () => {
    const { config } = loadConfig({ flags: { ...base.flags, 'target.sslMode': 'require', 'source.tls': 'verify-full' } });
    expect(tlsWarnings(config)).toEqual([expect.stringContaining('target.sslMode is "require"')]);
    expect(() => loadConfig({ flags: { ...base.flags, 'target.sslMode': 'prefer' } })).toThrow(/config key "target.sslMode"/);
  });
});

describe('--ask-password', () => {
  it('asks for what is missing only, the source only when a source user is set', async () => {
    const asked: string[] = [];
    const ask = async (question: string): Promise<string> => {
      asked.push(question);
      return `typed-${asked.length}`;
    };
    const plain = await withPromptedPasswords(loadConfig(base), ask);
    expect(asked).toEqual(['password for postgres on the target: ']);
    expect(plain.config.target.password).toBe('typed-1');
    expect(plain.config.source.password).toBeUndefined();
    asked.length = 0;
    const both = await withPromptedPasswords(loadConfig({ flags: { ...base.flags, 'source.username': 'reader' }, env: { C2Y_TARGET_PASSWORD: 'from-env' } }), ask);
    expect(asked).toEqual(['password for reader on Cassandra: ']);
    expect(both.config).toMatchObject({ target: { password: 'from-env' }, source: { password: 'typed-1' } });
  });
});
