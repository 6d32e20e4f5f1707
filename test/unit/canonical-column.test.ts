import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { canonicalColumn, normalInet, parseExactJson } from '../../src/digest/index.js';

const { types } = cassandra;

describe('canonical column forms', () => {
  it('keeps every JSON number digit for digit', () => {
    expect(parseExactJson('{"a":[1,-2.50,1e+300,9223372036854775807],"s":"x 1 \\"2\\""}')).toEqual({
      a: [{ raw: '1' }, { raw: '-2.50' }, { raw: '1e+300' }, { raw: '9223372036854775807' }], s: 'x 1 "2"',
    });
  });

  it('normalises IPv6 text and leaves IPv4 alone', () => {
    expect(normalInet('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalInet('10.0.0.1')).toBe('10.0.0.1');
  });

  it('sees 12.5 in PostgreSQL and 12.50 in Cassandra as one number, and 5E+2 as 500', () => {
    const decimal = canonicalColumn('d', { kind: 'scalar', name: 'decimal' });
    expect(decimal.fromPostgres('12.5')).toBe(decimal.fromCassandra(types.BigDecimal.fromString('12.50')));
    expect(decimal.fromPostgres('500')).toBe(decimal.fromCassandra(new types.BigDecimal(types.Integer.fromString('5') as unknown as number, -2)));
    expect(decimal.fromPostgres('5')).not.toBe(decimal.fromCassandra(new types.BigDecimal(types.Integer.fromString('5') as unknown as number, -2)));
  });

  it('tells a NULL from an empty value and a different value', () => {
    const text = canonicalColumn('t', { kind: 'scalar', name: 'text' });
    expect(text.fromPostgres(null)).toBe(text.fromCassandra(null));
    expect(text.fromPostgres('')).not.toBe(text.fromCassandra(null));
    const list = canonicalColumn('l', { kind: 'list', element: { kind: 'scalar', name: 'bigint' }, frozen: false });
    expect(list.fromPostgres('[1, 9223372036854775807]')).toBe(list.fromCassandra([1n, 2n ** 63n - 1n]));
    expect(list.fromPostgres('[1, 9223372036854775806]')).not.toBe(list.fromCassandra([1n, 2n ** 63n - 1n]));
  });
});
