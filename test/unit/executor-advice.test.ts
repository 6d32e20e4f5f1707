import { describe, expect, it } from 'vitest';
import { executorsAdvice } from '../../src/telemetry/index.js';

const local = (share: number | null) => ({ worker: null, cpuShareOfOneCore: share });

describe('executors advice', () => {
  it('names one executor with all the cores when a local run\'s executors together used under half a core', () => {
    const advice = executorsAdvice([local(0.18), local(0.2)], 4);
    expect(advice).toContain('the 2 executors used 38 % of one core together');
    expect(advice).toContain('executors: 1, cores: 8');
  });

  it('says nothing when one process would be busy, or for one executor', () => {
    expect(executorsAdvice([local(0.3), local(0.25)], 4)).toBeNull();
    expect(executorsAdvice([local(0.9), local(0.9), local(0.9)], 2)).toBeNull();
    expect(executorsAdvice([local(0.05)], 8)).toBeNull();
    expect(executorsAdvice([], 8)).toBeNull();
  });

  it('says nothing for workers (each on its own machine) or an executor that ran under a second', () => {
    expect(executorsAdvice([local(0.1), { worker: 'w1@host', cpuShareOfOneCore: 0.1 }], 4)).toBeNull();
    expect(executorsAdvice([local(0.1), local(null)], 4)).toBeNull();
  });
});
