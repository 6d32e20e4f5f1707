import { describe, expect, it } from 'vitest';
import { executorsAdvice } from '../../src/telemetry/index.js';

const local = (share: number | null, ready = true) => ({ worker: null, cpuShareOfOneCore: share, ready });

describe('executors advice', () => {
  it('names one executor with all the cores when a local run\'s executors together used under half a core', () => {
    const advice = executorsAdvice([local(0.18), local(0.2)], 8);
    expect(advice).toContain('the 2 executors used 38 % of one core together');
    expect(advice).toContain('executors: 1, cores: 8');
  });

  it('counts the streams that ran at once, not executors × cores (parallelism 2 on 2 executors × 4 cores ran 2)', () => {
    const advice = executorsAdvice([local(0.1), local(0.1)], 2);
    expect(advice).toContain('one executor with 2 cores (executors: 1, cores: 2) runs the same 2 streams');
  });

  it('says nothing when one process would be busy, or for one executor', () => {
    expect(executorsAdvice([local(0.3), local(0.25)], 8)).toBeNull();
    expect(executorsAdvice([local(0.9), local(0.9), local(0.9)], 6)).toBeNull();
    expect(executorsAdvice([local(0.05)], 8)).toBeNull();
    expect(executorsAdvice([], 8)).toBeNull();
  });

  it('says nothing for workers (each on its own machine) or an executor that ran under a second', () => {
    expect(executorsAdvice([local(0.1), { worker: 'w1@host', cpuShareOfOneCore: 0.1, ready: true }], 8)).toBeNull();
    expect(executorsAdvice([local(0.1), local(null)], 8)).toBeNull();
  });

  it('counts an executor the run ended before it was ready (it ran no split) toward the advice, not as a reason for silence', () => {
    const advice = executorsAdvice([local(0.2), local(null, false)], 2);
    expect(advice).toContain('the 2 executors used 20 % of one core together');
    expect(executorsAdvice([local(0.7), local(null, false)], 2)).toBeNull();
  });
});
