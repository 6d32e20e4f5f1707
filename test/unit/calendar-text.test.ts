import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilFromDays, dateText, daysFromCivil, timestampText, UnrepresentableValue } from '../../src/encode/calendar-text.js';

const { types } = cassandra;
/** The driver's typings omit LocalDate's one-argument form (days since the epoch), which its runtime has. */
const LocalDateOfDays = types.LocalDate as unknown as new (days: number) => InstanceType<typeof types.LocalDate>;

describe('calendar text', () => {
  it('converts days and civil dates both ways over ±6 million years', () => {
    fc.assert(fc.property(fc.integer({ min: -2_200_000_000, max: 2_200_000_000 }), (days) => {
      const { year, month, day } = civilFromDays(days);
      expect(daysFromCivil(year, month, day)).toBe(days);
    }), { numRuns: 5000 });
    expect(civilFromDays(0)).toEqual({ year: 1970, month: 1, day: 1 });
  });

  it('agrees with JavaScript Date wherever Date reaches', () => {
    fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
      const date = new Date(ms);
      const { year, month, day } = civilFromDays(Math.floor(ms / 86_400_000));
      expect([year, month, day]).toEqual([date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]);
    }), { numRuns: 5000 });
  });

  it('writes BC years and five-digit years as PostgreSQL reads them', () => {
    expect(timestampText(new Date('2024-01-02T03:04:05.006Z'))).toBe('2024-01-02 03:04:05.006+00');
    const twoBc = new Date(Date.UTC(2000, 11, 31, 23, 59, 59, 999));
    twoBc.setUTCFullYear(-1);
    expect(timestampText(twoBc)).toBe('0002-12-31 23:59:59.999+00 BC');
    expect(timestampText(new Date('+010000-01-01T00:00:00.000Z'))).toBe('10000-01-01 00:00:00.000+00');
    expect(dateText(types.LocalDate.fromString('0001-01-01'))).toBe('0001-01-01');
    expect(dateText(new types.LocalDate(0, 12, 31))).toBe('0001-12-31 BC');
    expect(dateText(new LocalDateOfDays(2_000_000_000 / 1000))).toMatch(/^\d{4,}-\d\d-\d\d$/);
  });

  it('refuses what PostgreSQL cannot hold', () => {
    expect(() => timestampText(new Date(Number.NaN))).toThrow(UnrepresentableValue);
    expect(() => timestampText(new Date(Date.UTC(-5000, 0, 1)))).toThrow(/4714-11-24 BC/);
    expect(() => dateText(new LocalDateOfDays(-2_000_000_000))).toThrow(/date range/);
  });
});
