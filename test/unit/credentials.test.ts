import { describe, expect, it } from 'vitest';
import { withPromptedPasswords, withPromptedRedisPassword } from '../../src/cli/password-prompt.js';
import { workerSecrets } from '../../src/cli/worker-command.js';
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

  it('asks for the Redis password of a distributed run unless the URL or C2Y_REDIS_PASSWORD has one; empty means no AUTH', async () => {
    const answers = ['target-pw', 'p@ss:/w"d'];
    const asked: string[] = [];
    const ask = async (question: string): Promise<string> => {
      asked.push(question);
      return answers.shift() ?? '';
    };
    const loaded = await withPromptedPasswords(loadConfig({ flags: { ...base.flags, redis: 'rediss://10.0.0.9:6379' }, env: {} }), ask, {});
    expect(asked).toEqual(['password for postgres on the target: ', 'password for Redis at rediss://10.0.0.9:6379 (empty if it has none): ']);
    // The typed password travels inside the URL (ioredis decodes it), so every mask that knows the URL hides it.
    expect(decodeURIComponent(new URL(loaded.config.redis ?? '').password)).toBe('p@ss:/w"d');
    asked.length = 0;
    expect(await withPromptedRedisPassword('redis://h:6379', ask, { C2Y_REDIS_PASSWORD: 'env-pw' })).toBe('redis://h:6379');
    expect(await withPromptedRedisPassword('redis://h:6379', async () => '', {})).toBe('redis://h:6379');
    expect(asked).toEqual([]);
  });

  it('a worker asks only for what its environment lacks (--ask-password), and asks nothing without it', async () => {
    const asked: string[] = [];
    const ask = async (question: string): Promise<string> => {
      asked.push(question);
      return question.includes('Cassandra') ? '' : 'typed';
    };
    const plain = await workerSecrets('redis://h:6379', false, { C2Y_TARGET_PASSWORD: 't' }, ask);
    expect(plain).toEqual({ redisUrl: 'redis://h:6379', source: undefined, target: 't' });
    const typed = await workerSecrets('redis://h:6379', true, { C2Y_TARGET_PASSWORD: 't' }, ask);
    expect(asked).toEqual(['password for Cassandra (empty if it has no authentication): ', 'password for Redis at redis://h:6379 (empty if it has none): ']);
    expect(typed).toEqual({ redisUrl: 'redis://:typed@h:6379', source: undefined, target: 't' });
  });
});
