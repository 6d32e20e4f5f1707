import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observe/index.js';
import { configFromOptions } from '../../src/cli/config-options.js';

describe('log levels', () => {
  it('the terminal shows lines from the level up; the run folder\'s log keeps info and up whatever the level', () => {
    const shown: string[] = [];
    const kept: string[] = [];
    const logger = createLogger({ json: false, level: 'warn', write: (line) => shown.push(line), tee: [(line) => kept.push(line)] });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(shown).toEqual(['WARN w', 'ERROR e']);
    expect(kept.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['i', 'w', 'e']);
    const verbose: string[] = [];
    createLogger({ json: false, level: 'debug', write: (line) => verbose.push(line) }).debug('d');
    expect(verbose).toEqual(['DEBUG d']);
  });

  it('is set by logLevel, C2Y_LOG_LEVEL or --log-level; --quiet means warn unless a level is given', () => {
    const base = { 'source.keyspace': 'k', 'source.table': 't' };
    expect(loadConfig({ flags: base }).config.logLevel).toBe('info');
    expect(loadConfig({ flags: base, env: { C2Y_LOG_LEVEL: 'debug' } }).config.logLevel).toBe('debug');
    expect(() => loadConfig({ flags: { ...base, logLevel: 'loud' } })).toThrow(/config key "logLevel" must be one of error, warn, info, debug/);
    const options = { keyspace: 'k', table: 't' };
    expect(configFromOptions({ ...options, quiet: true }).config.logLevel).toBe('warn');
    expect(configFromOptions({ ...options, quiet: true, logLevel: 'error' }).config.logLevel).toBe('error');
  });
});
