import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parsePropertiesText } from '../../src/config/index.js';
import { isC2yError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'c2y-props-'));
function props(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function refusal(run: () => unknown): { message: string; hint: string } {
  try {
    run();
  } catch (error) {
    if (!isC2yError(error)) throw error;
    return { message: error.message, hint: error.hint ?? '' };
  }
  throw new Error('expected a refusal');
}

describe('Spark, Connector and CDM properties', () => {
  it('turns the Connector\'s TLS switch on (it was silently off), checking the certificate and the host', () => {
    const { config } = loadConfig({ properties: props('tls.properties', ['spark.cassandra.connection.ssl.enabled=true', 'cassandra.keyspace=ks', 'cassandra.table=t']) });
    expect(config.source.tls).toBe('verify-full');
    const off = loadConfig({ properties: props('tls-off.properties', ['spark.cassandra.connection.ssl.enabled=false', 'cassandra.keyspace=ks', 'cassandra.table=t']) }).config;
    expect(off.source.tls).toBe('disable');
  });

  it('maps CDM\'s origin and target connection, schema and perf keys: the origin host no longer falls back to 127.0.0.1', () => {
    const { config } = loadConfig({ properties: props('cdm.properties', [
      'spark.cdm.connect.origin.host=10.1.0.5', 'spark.cdm.connect.origin.port=9142', 'spark.cdm.connect.origin.username=reader', 'spark.cdm.connect.origin.password=pw1',
      'spark.cdm.connect.origin.tls.enabled=true', 'spark.cdm.schema.origin.keyspaceTable=shop.orders', 'spark.cdm.schema.target.keyspaceTable=sales.orders_v2',
      'spark.cdm.connect.target.host=10.2.0.7', 'spark.cdm.connect.target.username=yb', 'spark.cdm.perfops.numParts=64', 'spark.cdm.perfops.fetchSizeInRows=2000',
      'spark.cdm.perfops.consistency.read=LOCAL_ONE', 'spark.cassandra.read.timeoutMS=30000',
    ]) });
    expect(config.source).toMatchObject({ contactPoints: ['10.1.0.5'], port: 9142, username: 'reader', password: 'pw1', tls: 'verify-full', keyspace: 'shop', table: 'orders', fetchSize: 2000, consistency: 'LOCAL_ONE', readTimeoutMs: 30000 });
    expect(config.target).toMatchObject({ hosts: ['10.2.0.7'], user: 'yb', schema: 'sales', table: 'orders_v2' });
    expect(config.parallelism).toBe(64);
  });

  it('refuses keys c2y cannot honour, naming each with what to do; ignores only the harmless list, with a warning', () => {
    const refused = refusal(() => loadConfig({ properties: props('refused.properties', [
      'cassandra.keyspace=ks', 'cassandra.table=t', 'spark.cassandra.connection.ssl.trustStore.path=/etc/ts.jks', 'spark.cdm.perfops.ratelimit.origin=100', 'spark.task.maxFailures=8',
    ]) }));
    expect(refused.message).toContain('"spark.cassandra.connection.ssl.trustStore.path", "spark.cdm.perfops.ratelimit.origin", "spark.task.maxFailures" cannot be honoured');
    expect(refused.hint).toContain('keytool -exportcert');
    expect(refused.hint).toContain('set source.readsPerSecond');
    expect(refused.hint).toContain('spark.task.maxFailures: it has no meaning in c2y yet');
    const { ignoredKeys, config } = loadConfig({ properties: props('harmless.properties', ['cassandra.keyspace=ks', 'cassandra.table=t', 'spark.app.name=move', 'spark.driver.memory=4g', 'spark.ui.enabled=false']) });
    expect(ignoredKeys).toEqual(['spark.app.name', 'spark.driver.memory']);
    expect(config.uiPort).toBe(0);
  });

  it('keeps the Connector\'s scan throttle (pages per core per second) as the whole run\'s row limit', () => {
    const base = ['cassandra.keyspace=ks', 'cassandra.table=t', 'spark.executor.instances=3', 'spark.executor.cores=2', 'spark.cassandra.input.fetch.sizeInRows=1000'];
    const loaded = loadConfig({ properties: props('reads.properties', [...base, 'spark.cassandra.input.readsPerSec=5']) });
    expect(loaded.config.source.readsPerSecond).toBe(5 * 1000 * 3 * 2);
    expect(loaded.origins['source.readsPerSecond']).toBe('properties');
    expect(loaded.derived).toEqual(['spark.cassandra.input.readsPerSec=5 → source.readsPerSecond=30000 (pages a core may read each second × source.fetchSize × executors × cores)']);
    // Later settings still win: a flag's cores count, and an explicit source.readsPerSecond.
    expect(loadConfig({ properties: props('reads.properties', [...base, 'spark.cassandra.input.readsPerSec=5']), flags: { cores: 4 } }).config.source.readsPerSecond).toBe(60_000);
    expect(loadConfig({ properties: props('reads.properties', [...base, 'spark.cassandra.input.readsPerSec=5']), env: { C2Y_SOURCE_READS_PER_SECOND: '700' } }).config.source.readsPerSecond).toBe(700);
    expect(loadConfig({ properties: props('plain.properties', base) }).derived).toEqual([]);
    const bad = refusal(() => loadConfig({ properties: props('bad-reads.properties', [...base, 'spark.cassandra.input.readsPerSec=fast']) }));
    expect(bad.hint).toContain('spark.cassandra.input.readsPerSec: "fast" is not a number of pages per second above 0');
  });

  it('loads the seed\'s block as pasted: a trailing # comment is not part of the value; \\# keeps a #', () => {
    const parsed = parsePropertiesText('spark.executor.instances=4   # one per machine\nspark.default.parallelism = 32 # partitions\nyugabyte.password=a\\#b # note\nx=a#b\n');
    expect([...parsed]).toEqual([['spark.executor.instances', '4'], ['spark.default.parallelism', '32'], ['yugabyte.password', 'a#b'], ['x', 'a#b']]);
    const { config } = loadConfig({ properties: props('seed.properties', ['spark.executor.instances=4   # one per machine', 'spark.executor.memory=2g # heap', 'cassandra.keyspace=ks', 'cassandra.table=t']) });
    expect(config.executors).toBe(4);
    expect(config.executorMemory).toBe(2 * 1024 ** 3);
  });
});
