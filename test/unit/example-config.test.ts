import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig } from '../../src/config/index.js';

describe('c2y.example.yaml', () => {
  const text = readFileSync('c2y.example.yaml', 'utf8');

  it('loads as it is, and its values are the defaults', () => {
    const { config } = loadConfig({ file: 'c2y.example.yaml' });
    const defaults = loadConfig({ flags: { 'source.keyspace': 'shop', 'source.table': 'orders' } }).config;
    expect(config).toEqual(defaults);
  });

  it('names every config key (a key added to the schema must be documented here)', () => {
    const missing = CONFIG_KEYS.filter((key) => {
      const last = key.slice(key.lastIndexOf('.') + 1);
      return !new RegExp(`^\\s*(#\\s*)?${last}:`, 'm').test(text);
    });
    expect(missing).toEqual([]);
  });
});
