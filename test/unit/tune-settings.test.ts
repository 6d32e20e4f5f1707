import { describe, expect, it } from 'vitest';
import { parseTuning } from '../../src/cli/tune-command.js';

describe('c2y tune settings', () => {
  it('takes rates above 0 and off (no limit) for the tunable keys', () => {
    expect(parseTuning(['target.rowsPerSecond=5000', 'source.readsPerSecond = off', 'target.bytesPerSecond=1e6'])).toEqual({
      'target.rowsPerSecond': 5000, 'source.readsPerSecond': null, 'target.bytesPerSecond': 1e6,
    });
  });

  it('takes parallelism (streams at once) as a whole number, or off', () => {
    expect(parseTuning(['parallelism=2'])).toEqual({ parallelism: 2 });
    expect(parseTuning(['parallelism=off'])).toEqual({ parallelism: null });
    expect(() => parseTuning(['parallelism=1.5'])).toThrow(/must be a whole number/);
    expect(() => parseTuning(['parallelism=0'])).toThrow(/greater than 0/);
  });

  it('refuses what it cannot change while a run goes on, naming why, and nothing at all', () => {
    expect(() => parseTuning(['copyFlushEvery=10'])).toThrow(/"copyFlushEvery" cannot be tuned/);
    for (const bad of ['target.rowsPerSecond=0', 'target.rowsPerSecond=-1', 'target.rowsPerSecond=fast', 'target.rowsPerSecond=', 'target.rowsPerSecond']) {
      expect(() => parseTuning([bad]), bad).toThrow();
    }
    expect(() => parseTuning([])).toThrow(/nothing to change/);
  });
});
