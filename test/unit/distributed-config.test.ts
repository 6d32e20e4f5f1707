import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig, redactUrl, urlPassword } from '../../src/config/index.js';
import { failureOf } from '../../src/runner/index.js';
import { shareableConfig } from '../../src/runner/run-record.js';
import { dialAddress } from '../../src/source/index.js';
import { resumeCommandFor } from '../../src/cli/migrate-command.js';

const base = { 'source.keyspace': 'ks', 'source.table': 't' };

describe('distributed settings', () => {
  it('reads an address map from a flag or env string and from YAML-like objects', () => {
    const fromText = loadConfig({ flags: { ...base, 'source.addressMap': '127.0.0.1:9042=10.0.0.5:19042, 127.0.0.2:9042=10.0.0.5:19043' } }).config;
    expect(fromText.source.addressMap).toEqual({ '127.0.0.1:9042': '10.0.0.5:19042', '127.0.0.2:9042': '10.0.0.5:19043' });
    expect(dialAddress(fromText.source.addressMap, '127.0.0.2:9042')).toBe('10.0.0.5:19043');
    expect(dialAddress(fromText.source.addressMap, '127.0.0.3:9042')).toBe('127.0.0.3:9042');
    expect(() => loadConfig({ flags: { ...base, 'target.addressMap': '127.0.0.1=10.0.0.5:5433' } })).toThrow(/target.addressMap/);
  });

  it('keeps the Redis password out of reports, resume hints and what workers read', () => {
    // In the environment (C2Y_REDIS) a password is allowed; on the command line it is refused (it shows in ps).
    const { config } = loadConfig({ flags: base, env: { C2Y_REDIS: 'redis://:s3cret@10.0.0.9:6379/0', C2Y_SOURCE_PASSWORD: 'cass-pw', C2Y_TARGET_PASSWORD: 'pg-pw' } });
    expect(() => loadConfig({ flags: { ...base, redis: 'redis://:s3cret@10.0.0.9:6379/0' } })).toThrow(/a password on the command line shows in ps/);
    try {
      loadConfig({ flags: { ...base, redis: 'redis://:s3cret@10.0.0.9:6379/0' } });
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
    }
    expect(urlPassword(config.redis)).toBe('s3cret');
    expect(JSON.stringify(redactConfig(config))).not.toContain('s3cret');
    expect(redactUrl('redis://user:pw@h:1')).toBe('redis://user:***@h:1');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
    const shared = JSON.stringify(shareableConfig(config));
    for (const secret of ['s3cret', 'cass-pw', 'pg-pw']) expect(shared).not.toContain(secret);
    expect(resumeCommandFor(['migrate', '--distributed', '--redis', 'redis://:s3cret@10.0.0.9:6379'], 'r1')).toBe('c2y migrate --distributed --redis redis://:***@10.0.0.9:6379 --resume r1');
  });

  it('refuses a Redis address that is not a URL', () => {
    expect(() => loadConfig({ flags: { ...base, redis: '10.0.0.9:6379' } })).toThrow(/redis:\/\//);
  });

  it('reads a failed job\'s reason: the typed error a worker stored, or BullMQ\'s own words', () => {
    expect(failureOf(JSON.stringify({ code: 'TARGET_WRITE_FAILED', message: 'boom', retryable: true }))).toEqual({ code: 'TARGET_WRITE_FAILED', message: 'boom', hint: undefined, retryable: true });
    expect(failureOf('job stalled more than allowable limit').code).toBe('EXECUTOR_CRASHED');
    expect(failureOf(undefined).code).toBe('DISTRIBUTED_RUN_FAILED');
  });
});
