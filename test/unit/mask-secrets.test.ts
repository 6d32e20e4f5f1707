import { describe, expect, it } from 'vitest';
import { createLogger, maskValue } from '../../src/observe/index.js';

describe('secrets are masked in values, before any format escapes them', () => {
  const secrets = ['pa"ss\\word', 'plain-secret'];

  it('a log line in JSON carries neither secret, whatever characters they hold', () => {
    const lines: string[] = [];
    const logger = createLogger({ json: true, secrets, write: (line) => lines.push(line) });
    logger.error('login failed with pa"ss\\word', { detail: 'server said: password "pa"ss\\word" rejected', other: 'plain-secret' });
    const text = lines.join('\n');
    const parsed = JSON.parse(text) as Record<string, string>;
    for (const value of Object.values(parsed)) {
      expect(value).not.toContain('pa"ss\\word');
      expect(value).not.toContain('plain-secret');
    }
    expect(parsed['detail']).toBe('server said: password "***" rejected');
    expect(text).not.toContain('ss\\\\word');
  });

  it('human lines too', () => {
    const lines: string[] = [];
    createLogger({ json: false, secrets, write: (line) => lines.push(line) }).warn('x pa"ss\\word', { detail: 'pa"ss\\word' });
    expect(lines[0]).toBe('WARN x ***  detail=***');
  });

  it('a state of any depth: strings, keys, arrays; numbers, dates and nulls untouched; __proto__ keys kept as data', () => {
    const state = JSON.parse('{"a":[{"b":"x pa\\"ss\\\\word y"}],"pa\\"ss\\\\word":1,"n":2,"z":null,"__proto__":"plain-secret"}') as unknown;
    const masked = maskValue(state, secrets);
    const text = JSON.stringify(masked);
    expect(text).toBe('{"a":[{"b":"x *** y"}],"***":1,"n":2,"z":null,"__proto__":"***"}');
    expect(maskValue({ when: new Date(0) }, secrets).when).toEqual(new Date(0));
  });
});
