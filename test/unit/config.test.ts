import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envNameOf, loadConfig, parseMemorySize, parsePropertiesText, redactConfig } from '../../src/config/index.js';
import { C2yError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'c2y-config-'));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function expectConfigError(run: () => unknown, ...fragments: string[]): C2yError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(C2yError);
    const c2y = error as C2yError;
    expect(c2y.code).toBe('CONFIG_INVALID');
    for (const fragment of fragments) expect(c2y.describe()).toContain(fragment);
    return c2y;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('memory sizes', () => {
  it('accepts Spark spellings', () => {
    expect(parseMemorySize('8g')).toBe(8 * 1024 ** 3);
    expect(parseMemorySize('2048m')).toBe(2048 * 1024 ** 2);
    expect(parseMemorySize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseMemorySize('1048576')).toBe(1048576);
    expect(parseMemorySize('512k')).toBe(512 * 1024);
  });
  it('rejects nonsense', () => {
    for (const bad of ['', 'g', '8x', '-1g', '0', 'eight']) expect(parseMemorySize(bad)).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('fills defaults around the required keys', () => {
    const { config, origins } = loadConfig({ flags: { 'source.keyspace': 'ks', 'source.table': 't' } });
    expect(config.source.consistency).toBe('LOCAL_QUORUM');
    expect(config.parallelism).toBe(16);
    expect(config.target.hosts).toEqual(['127.0.0.1:5432']);
    expect(config.executorMemory).toBe(1024 ** 3);
    expect(origins['parallelism']).toBe('default');
    expect(origins['source.keyspace']).toBe('flag');
  });

  it('applies flags over env over properties over file', () => {
    const file = write('c.yaml', 'source:\n  keyspace: from_file\n  table: t\nparallelism: 4\ncores: 3\nexecutors: 5\ncopyFlushEvery: 7\n');
    const properties = write('p.properties', 'spark.default.parallelism=8\nspark.executor.cores = 6\nyugabyte.copyFlushEvery: 9\n');
    const env = { [envNameOf('cores')]: '10', [envNameOf('copyFlushEvery')]: '11' };
    const { config, origins } = loadConfig({ file, properties, env, flags: { copyFlushEvery: '12' } });
    expect(config.source.keyspace).toBe('from_file');
    expect(config.executors).toBe(5);
    expect(config.parallelism).toBe(8);
    expect(config.cores).toBe(10);
    expect(config.copyFlushEvery).toBe(12);
    expect(origins).toMatchObject({ executors: 'file', parallelism: 'properties', cores: 'env', copyFlushEvery: 'flag' });
  });

  it('maps every seed key and reports Spark-only keys as ignored', () => {
    const properties = write('seed.properties', [
      'spark.default.parallelism=32', 'spark.executor.instances=8', 'spark.executor.cores=4', 'spark.executor.memory=2048m',
      'spark.cassandra.input.split.size_in_mb=128', 'spark.cassandra.connection.host=10.0.0.1,10.0.0.2',
      'yugabyte.copyBufferSize=50000', 'yugabyte.copyFlushEvery=100000', 'yugabyte.loadBalanceHosts=false',
      'spark.memory.fraction=0.6', 'spark.sql.shuffle.partitions=200', 'source.keyspace=ks', 'source.table=t',
    ].join('\n'));
    const { config, ignoredKeys } = loadConfig({ properties });
    expect(config).toMatchObject({ parallelism: 32, executors: 8, cores: 4, executorMemory: 2048 * 1024 ** 2, copyBufferSize: 50000, copyFlushEvery: 100000 });
    expect(config.source.splitSizeMb).toBe(128);
    expect(config.source.contactPoints).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(config.target.loadBalance).toBe(false);
    expect(ignoredKeys).toEqual(['spark.memory.fraction', 'spark.sql.shuffle.partitions']);
  });

  it('names the key and the fix for bad values', () => {
    expectConfigError(() => loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', parallelism: 'abc' } }), '"parallelism"', 'abc');
    expectConfigError(() => loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', executorMemory: '8x' } }), 'executorMemory', '2048m');
    expectConfigError(() => loadConfig({ flags: {} }), 'source.keyspace');
    expectConfigError(() => loadConfig({ file: write('typo.yaml', 'source:\n  keyspace: k\n  table: t\nparalelism: 4\n') }), 'paralelism', 'parallelism');
    expectConfigError(() => loadConfig({ file: write('bad.yaml', 'source: [1, 2\n') }), 'not valid YAML');
    expectConfigError(() => loadConfig({ file: write('list.yaml', '- a\n- b\n') }), 'mapping');
    expectConfigError(() => loadConfig({ properties: write('u.properties', 'source.keyspace=k\nsource.table=t\nfoo.bar=1\n') }), 'foo.bar');
  });

  it('never shows a password in an error or a redacted config', () => {
    const error = expectConfigError(() => loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.password': 's3cret', parallelism: '0' } }), 'parallelism');
    expect(error.describe()).not.toContain('s3cret');
    const { config } = loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'target.password': 's3cret', 'source.password': 'p4ss' } });
    expect(JSON.stringify(redactConfig(config))).not.toMatch(/s3cret|p4ss/);
  });
});

describe('properties syntax', () => {
  it('reads =, :, whitespace separators, comments and continuations', () => {
    const parsed = parsePropertiesText('# comment\n! also\na=1\nb: 2\nc 3\nd = long \\\n   value\n');
    expect([...parsed]).toEqual([['a', '1'], ['b', '2'], ['c', '3'], ['d', 'long value']]);
  });
});
