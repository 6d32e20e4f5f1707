import cassandra from 'cassandra-driver';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slowTimestampText, timestampText } from '../../src/encode/calendar-text.js';
import { decimalText, inetText, uuidText } from '../../src/encode/index.js';

const { types } = cassandra;

describe('fast text forms agree with the driver', () => {
  it('decimal: same value and scale as the driver parses it, never exponent notation', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }), fc.integer({ min: -60, max: 60 }), (unscaled, scale) => {
      const value = new types.BigDecimal(types.Integer.fromString(unscaled.toString()) as unknown as number, scale);
      const text = decimalText(value);
      expect(text).toMatch(/^-?\d+(\.\d+)?$/);
      // Same number: text = digits / 10^fraction; value = unscaled / 10^scale.
      const [whole, fraction = ''] = text.replace('-', '').split('.');
      const digits = BigInt(`${whole}${fraction}`) * (text.startsWith('-') ? -1n : 1n);
      const common = Math.max(fraction.length, scale, 0);
      expect(digits * 10n ** BigInt(common - fraction.length)).toBe(scale >= 0 ? unscaled * 10n ** BigInt(common - scale) : unscaled * 10n ** BigInt(common - scale));
      if (scale > 0) expect(fraction).toHaveLength(scale);
      // The driver's own toString() is wrong for negative scales (5E+2 prints as "5."): compare only where it is right.
      if (scale >= 0) expect(text).toBe(value.toString());
    }), { numRuns: 3000 });
    expect(decimalText(types.BigDecimal.fromString('-12.50'))).toBe('-12.50');
    expect(decimalText(types.BigDecimal.fromString('-0.001'))).toBe('-0.001');
    expect(decimalText(new types.BigDecimal(types.Integer.fromString('5') as unknown as number, -2))).toBe('500');
  });

  it('uuid and inet: the driver\'s exact text', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const uuid = new types.Uuid(Buffer.from(bytes));
      expect(uuidText(uuid)).toBe(uuid.toString());
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      const address = new types.InetAddress(Buffer.from(bytes));
      expect(inetText(address)).toBe(address.toString());
    }), { numRuns: 2000 });
  });

  it('timestamp: the ISO fast path writes what the day-count path writes', () => {
    fc.assert(fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
      expect(timestampText(new Date(ms))).toBe(slowTimestampText(ms));
    }), { numRuns: 5000 });
  });
});
