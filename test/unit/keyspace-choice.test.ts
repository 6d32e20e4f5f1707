import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadKeyspaceConfig } from '../../src/config/index.js';
import { nameMatcher } from '../../src/source/index.js';

describe('choosing the tables of a keyspace', () => {
  it('matches names exactly (case kept) and patterns with * and ?, treating other characters literally', () => {
    expect(nameMatcher('events')('events')).toBe(true);
    expect(nameMatcher('events')('Events')).toBe(false);
    expect(nameMatcher('ev*')('events')).toBe(true);
    expect(nameMatcher('ev*')('xevents')).toBe(false);
    expect(nameMatcher('t?p')('tmp')).toBe(true);
    expect(nameMatcher('t?p')('tmmp')).toBe(false);
    // A dot or a bracket in a pattern is that character, not a regular expression.
    expect(nameMatcher('a.b*')('axb')).toBe(false);
    expect(nameMatcher('*')('__proto__')).toBe(true);
    expect(nameMatcher('constructor')('constructor')).toBe(true);
  });

  it('loads a keyspace-wide config without a table, with its choices as lists', () => {
    const { config } = loadKeyspaceConfig({ flags: { 'source.keyspace': 'shop', 'source.tables': 'orders, audit_*', 'source.excludeTables': 'tmp_*' } });
    expect(config.source.table).toBeUndefined();
    expect(config.source.tables).toEqual(['orders', 'audit_*']);
    expect(config.source.excludeTables).toEqual(['tmp_*']);
  });

  it('a one-table command refuses the keyspace choices instead of ignoring them, and still needs its table', () => {
    expect(() => loadConfig({ flags: { 'source.keyspace': 'shop', 'source.table': 'orders', 'source.tables': 'orders' } })).toThrow(/config key "source.tables" chooses tables for a keyspace-wide command/);
    expect(() => loadConfig({ flags: { 'source.keyspace': 'shop', 'source.table': 'orders', 'source.excludeTables': 'x' } })).toThrow(/source.excludeTables/);
    expect(() => loadConfig({ flags: { 'source.keyspace': 'shop' } })).toThrow(/"source.table" must be text \(got nothing\)/);
  });

  it('takes the choice of tables from a .properties file too: cassandra.tables / cassandra.excludeTables or the native keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2y-props-'));
    const seedStyle = join(dir, 'seed.properties');
    writeFileSync(seedStyle, 'cassandra.keyspace=shop\ncassandra.tables=orders,audit_*\ncassandra.excludeTables=tmp_*\n');
    const fromSeed = loadKeyspaceConfig({ properties: seedStyle }).config;
    expect([fromSeed.source.keyspace, fromSeed.source.tables, fromSeed.source.excludeTables]).toEqual(['shop', ['orders', 'audit_*'], ['tmp_*']]);
    const native = join(dir, 'native.properties');
    writeFileSync(native, 'source.keyspace=shop\nsource.tables=orders\n');
    expect(loadKeyspaceConfig({ properties: native }).config.source.tables).toEqual(['orders']);
  });
});
