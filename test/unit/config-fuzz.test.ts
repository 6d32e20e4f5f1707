import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envNameOf, loadConfig, type ConfigSources } from '../../src/config/index.js';
import { isC2yError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'c2y-fuzz-'));
let fileNo = 0;
const tempFile = (text: string): string => {
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, text);
  return path;
};

const SPARK_KEYS = ['spark.default.parallelism', 'spark.executor.instances', 'spark.executor.cores', 'spark.executor.memory', 'spark.cassandra.input.split.size_in_mb', 'yugabyte.copyBufferSize', 'yugabyte.copyFlushEvery', 'yugabyte.loadBalanceHosts', 'spark.ui.port'];

/** Values a user might type by mistake, and a few good ones. */
const value = fc.oneof(
  fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom('', ' ', '-1', '0', '1e9', 'NaN', 'Infinity', '2g', '2 GB', '1.5m', 'yes', 'no', 'ONE', 'LOCAL_QUORUM', '127.0.0.1:99999', 'a,b,,c', '${HOME}', '\u0000', '%n%s'),
  fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const key = fc.oneof(fc.constantFrom(...CONFIG_KEYS), fc.string(), fc.constantFrom('source.nope', 'target', 'Parallelism', 'source.keyspace.x'));

/** Loading either succeeds or throws a typed config error that says what is wrong and where. */
function expectTypedOutcome(sources: ConfigSources): void {
  try {
    loadConfig(sources);
  } catch (error) {
    if (!isC2yError(error)) throw new Error(`untyped error for ${JSON.stringify(sources).slice(0, 300)}: ${String(error)}`);
    expect(['CONFIG_INVALID', 'CONFIG_FILE_UNREADABLE']).toContain(error.code);
    expect(error.hint?.length ?? 0).toBeGreaterThan(0);
    expect(error.message).toMatch(/config key "|unknown config key "|not valid YAML|must hold a mapping|cannot read/);
  }
}

describe('config fuzzing: always a typed error naming the key, or a valid config', () => {
  it('random YAML text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => expectTypedOutcome({ file: tempFile(text) })), { numRuns: 1000 });
  });

  it('YAML trees of real and wrong keys with wrong values', () => {
    const tree = fc.dictionary(key, value, { maxKeys: 6 });
    fc.assert(fc.property(tree, (entries) => {
      const nested: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(entries)) {
        const [head, ...rest] = k.split('.');
        if (rest.length > 0 && (head === 'source' || head === 'target')) nested[head] = { ...(nested[head] as object), [rest.join('.')]: v };
        else nested[k] = v;
      }
      expectTypedOutcome({ file: tempFile(stringify(nested)) });
    }), { numRuns: 1000 });
  });

  it('properties files with seed keys and garbage', () => {
    const line = fc.tuple(fc.oneof(fc.constantFrom(...SPARK_KEYS), fc.string()), fc.oneof(fc.string(), fc.constantFrom('16', '-3', '4g', 'x', '')), fc.constantFrom('=', ':', ' '));
    fc.assert(fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      expectTypedOutcome({ properties: tempFile(lines.map(([k, v, sep]) => `${k}${sep}${v}`).join('\n')), flags: { 'source.keyspace': 'ks', 'source.table': 't' } });
    }), { numRuns: 1000 });
  });

  it('names of Object members as keys (found by this fuzzer: `constructor=…` once crashed the properties mapping)', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expectTypedOutcome({ properties: tempFile(`${name}=1`), flags: { 'source.keyspace': 'ks', 'source.table': 't' } });
      expectTypedOutcome({ file: tempFile(`${name}: 1`) });
      expectTypedOutcome({ flags: { [name]: '1' } });
      expect(() => loadConfig({ properties: tempFile(`${name}=1`), flags: { 'source.keyspace': 'ks', 'source.table': 't' } })).toThrow(/unknown config key/);
    }
  });

  it('environment values and flags', () => {
    fc.assert(fc.property(
      fc.dictionary(fc.constantFrom(...CONFIG_KEYS), fc.string(), { maxKeys: 5 }),
      fc.dictionary(key, fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 4 }),
      (env, flags) => expectTypedOutcome({ env: Object.fromEntries(Object.entries(env).map(([k, v]) => [envNameOf(k), v])), flags }),
    ), { numRuns: 1000 });
  });

  it('a keyspace-wide choice on a one-table command names its config key (found by this fuzzer, seed -628722494)', () => {
    expectTypedOutcome({ flags: { 'source.keyspace': ' ', 'source.tables': ' ', 'source.table': ' ' } });
    expectTypedOutcome({ flags: { 'source.keyspace': 'k', 'source.excludeTables': 'a', 'source.table': 't' } });
  });

  it('a half client certificate names its config key (found by this fuzzer, seed 1980321329)', () => {
    for (const flags of [{ 'source.tlsCert': ' ' }, { 'source.tlsKey': ' ' }, { 'target.sslCert': 'c', 'target.sslKey': 'k', 'target.sslMode': 'disable' }]) {
      expect(() => loadConfig({ flags: { 'source.keyspace': 'ks', 'source.table': 't', ...flags } })).toThrow(/config key "(source|target)\.\w+" is (missing|set but)/);
    }
  });

  it('through the CLI: exit 2 (bad configuration) or 3 (cannot connect, for a config that happens to be valid) and one typed line, never a stack trace', () => {
    const bin = resolve('bin/c2y.js');
    const samples = fc.sample(fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }), { numRuns: 25, seed: 7 });
    for (const entries of [...samples, { parallelism: 'many' }, { source: 'x' }]) {
      const file = tempFile(stringify(entries));
      // Unroutable hosts: a config that happens to be valid must fail on connection, not hang.
      const run = spawnSync(process.execPath, [bin, 'migrate', '--config', file, '--set', 'source.contactPoints=127.0.0.1:1', '--set', 'target.hosts=127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, run.stderr).toBe(/^c2y: (SOURCE|TARGET)_UNREACHABLE/.test(run.stderr) ? 3 : 2);
      expect(run.stderr).toMatch(/^c2y: [A-Z_]+: /);
      expect(run.stderr).not.toMatch(/\n\s+at |TypeError|ReferenceError/);
    }
  }, 120_000);
});
