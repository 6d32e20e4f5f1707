import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { refusalsOf, RunSigner, workerPolicy } from '../../src/runner/index.js';
import { redisSecurityOf } from '../../src/runner/redis-connection.js';
import { openEnvelope, shareableConfig, type RunRecord } from '../../src/runner/run-record.js';
import { withWorkerTls } from '../../src/runner/worker-policy.js';
import type { SourceTable } from '../../src/schema/index.js';

const KEY = 'unit-test-run-key-0123456789abcdef';

function record(overrides: Record<string, string> = {}, endpoints = ['10.0.1.5:5433']): RunRecord {
  const { config } = loadConfig({ flags: { 'source.keyspace': 'ks', 'source.table': 't', 'source.contactPoints': '10.0.0.1,10.0.0.2:19042', 'target.hosts': '10.0.1.5:5433', ...overrides } });
  return {
    runId: 'r1', source: 'ks.t', target: 'db.public.t', config: shareableConfig(config), table: { keyspace: 'ks', name: 't', columns: [] } as unknown as SourceTable,
    endpoints: endpoints.map((key) => ({ host: key.split(':')[0] as string, port: Number(key.split(':')[1]), key })), splits: 1, startedAt: 1, driver: 'd', status: 'running',
  };
}

describe('run signatures', () => {
  const signer = RunSigner.fromKey(KEY);
  const envelope = (body: string, runId = 'r1', mac = signer.sign('run-record', runId, body)): string => JSON.stringify({ body, mac });

  it('accepts the body exactly as signed, and nothing else', () => {
    const body = JSON.stringify(record());
    expect(openEnvelope(envelope(body), 'r1', signer).kind).toBe('authentic');
    // One character changed, another run's id, another kind's MAC, another key, no MAC, not JSON: all refused.
    expect(openEnvelope(JSON.stringify({ body: body.replace('10.0.1.5', '10.6.6.6'), mac: signer.sign('run-record', 'r1', body) }), 'r1', signer)).toMatchObject({ kind: 'forged' });
    expect(openEnvelope(envelope(body), 'r2', signer)).toMatchObject({ kind: 'forged' });
    expect(openEnvelope(envelope(body, 'r1', signer.sign('split-job', 'r1', body)), 'r1', signer)).toMatchObject({ kind: 'forged' });
    expect(openEnvelope(envelope(body), 'r1', RunSigner.fromKey('another-key-0123456789'))).toMatchObject({ kind: 'forged', reason: expect.stringContaining('C2Y_RUN_KEY') });
    expect(openEnvelope(JSON.stringify({ body }), 'r1', signer)).toMatchObject({ kind: 'forged' });
    expect(openEnvelope(body, 'r1', signer)).toMatchObject({ kind: 'forged', reason: 'the record is not signed' });
    expect(openEnvelope('{not json', 'r1', signer)).toMatchObject({ kind: 'forged' });
    // A body signed for run r2 but filed under r1's key.
    const other = JSON.stringify({ ...record(), runId: 'r2' });
    expect(openEnvelope(envelope(other, 'r1'), 'r1', signer)).toMatchObject({ kind: 'forged', reason: 'the record names run r2' });
  });

  it('refuses a missing or short key, naming the variable', () => {
    expect(() => RunSigner.fromEnv({}, 'c2y worker')).toThrow(/C2Y_RUN_KEY: it is not set/);
    expect(() => RunSigner.fromEnv({ C2Y_RUN_KEY: 'short' }, 'c2y worker')).toThrow(/shorter than 16/);
    expect(signer.verify('split-job', 'r1', 'x', 42)).toBe(false);
    expect(signer.verify('split-job', 'r1', 'x', 'zz')).toBe(false);
  });
});

describe('a worker\'s own settings decide where it connects', () => {
  const policy = workerPolicy({ allowSource: '10.0.0.0/24:9042,10.0.0.2:19042', allowTarget: ['10.0.1.5:5433'] });

  it('serves a run whose every node is allowed', () => {
    expect(refusalsOf(record(), policy, {})).toEqual([]);
  });

  it('refuses nodes off the list: other host, other port, a discovered endpoint, a name that only looks like an allowed one', () => {
    expect(refusalsOf(record({ 'target.hosts': '10.0.1.6:5433' }), policy, {})).toEqual(['target node 10.0.1.6:5433 is not on this worker\'s --allow-target list']);
    expect(refusalsOf(record({ 'source.contactPoints': '10.0.0.1:9043' }), policy, {})).toEqual(['source node 10.0.0.1:9043 is not on this worker\'s --allow-source list']);
    expect(refusalsOf(record({}, ['10.0.1.5:5433', '203.0.113.9:5433']), policy, {})).toEqual(['target node 203.0.113.9:5433 is not on this worker\'s --allow-target list']);
    expect(refusalsOf(record({ 'source.contactPoints': '10.0.0.1.evil.example' }), policy, {})).toHaveLength(1);
    expect(refusalsOf(record({ 'source.contactPoints': '10.0.1.1' }), policy, {})).toHaveLength(1);
  });

  it('lets nodes its own address map names pass (the worker chose where they go)', () => {
    expect(refusalsOf(record({ 'target.hosts': '10.9.9.9:5433' }, ['10.9.9.9:5433']), policy, { '10.9.9.9:5433': '127.0.0.1:5433' })).toEqual([]);
  });

  it('never lowers TLS: a run asking more than the worker gives is refused, one asking less gets the worker\'s', () => {
    expect(refusalsOf(record({ 'target.sslMode': 'verify-full' }), policy, {})).toEqual(['the run asks TLS verify-full to the target; this worker is set up for disable (--target-ssl-mode)']);
    const strict = workerPolicy({ allowSource: '10.0.0.0/24', allowTarget: '10.0.1.5', source: { tls: 'verify-full', tlsCa: '/etc/ca.pem' }, target: { sslMode: 'verify-ca', sslRootCert: '/etc/pg.pem' } });
    const run = record({ 'source.tls': 'disable', 'source.tlsCa': '/tmp/attacker.pem' });
    expect(refusalsOf(run, strict, {})).toEqual([]);
    const used = withWorkerTls(run.config, strict);
    expect(used.source).toMatchObject({ tls: 'verify-full', tlsCa: '/etc/ca.pem' });
    expect(used.target).toMatchObject({ sslMode: 'verify-ca', sslRootCert: '/etc/pg.pem' });
  });

  it('requires both lists and refuses entries and keys it cannot read', () => {
    expect(() => workerPolicy({ allowTarget: '10.0.1.5' })).toThrow(/--allow-source is missing/);
    expect(() => workerPolicy({ allowSource: '10.0.0.0/24' })).toThrow(/--allow-target is missing/);
    expect(() => workerPolicy({ allowSource: '10.0.0.0/99', allowTarget: 'x' })).toThrow(/not a CIDR block/);
    expect(() => workerPolicy({ allowSource: 'a b', allowTarget: 'x' })).toThrow(/is not a host, IP or CIDR/);
    expect(() => workerPolicy({ allowSource: 'a', allowTarget: 'x', source: { tls: 'off' } } as never)).toThrow(/source.tls/);
    expect(() => workerPolicy({ allowSource: 'a', allowTarget: 'x', allowEverything: true } as never)).toThrow(/worker settings/);
  });
});

describe('Redis AUTH and TLS settings', () => {
  it('takes the password from C2Y_REDIS_PASSWORD unless the URL has one; rediss:// checks the server', () => {
    expect(redisSecurityOf('redis://10.0.0.9:6379', { C2Y_REDIS_PASSWORD: 'pw' })).toEqual({ password: 'pw' });
    expect(redisSecurityOf('redis://:inurl@10.0.0.9:6379', { C2Y_REDIS_PASSWORD: 'pw' })).toEqual({});
    expect(redisSecurityOf('rediss://10.0.0.9:6379', {})).toEqual({ tls: { rejectUnauthorized: true } });
    expect(() => redisSecurityOf('redis://10.0.0.9:6379', { C2Y_REDIS_CA: '/x.pem' })).toThrow(/not TLS/);
    expect(() => redisSecurityOf('rediss://10.0.0.9:6379', { C2Y_REDIS_CA: '/no/such.pem' })).toThrow(/cannot read/);
  });
});
