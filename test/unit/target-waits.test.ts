import { describe, expect, it } from 'vitest';
import { RunStats } from '../../src/observe/index.js';
import { TargetWaitTally, targetWaitsAdvice } from '../../src/telemetry/index.js';
import { createRunMetrics, dashboardState, RateHistory } from '../../src/ui/index.js';

const w = (wait: string, backends: number) => ({ wait, backends });

describe('target waits tally', () => {
  it('sums every sample\'s backends by state, the most frequent first, and keeps the first node seen, even from a sample without backends', () => {
    const tally = new TargetWaitTally();
    tally.add('10.0.0.1:5433', []);
    tally.add('10.0.0.9:5433', [w('CPU', 3), w('Lock:extend', 5)]);
    tally.add('10.0.0.2:5433', [w('Lock:extend', 3), w('Client:ClientRead', 1)]);
    const summary = tally.summary();
    expect(summary).toMatchObject({ node: '10.0.0.1:5433', samples: 3, backendSamples: 12, waits: [w('Lock:extend', 8), w('CPU', 3), w('Client:ClientRead', 1)] });
  });

  it('is null when nothing was sampled', () => {
    expect(new TargetWaitTally().summary()).toBeNull();
  });

  it('lists at most eight states then `other`, and a server naming states without end cannot grow it past its cap', () => {
    const tally = new TargetWaitTally();
    for (let i = 0; i < 500; i++) tally.add('n:1', [w(`LWLock:made-up-${i}`, 1), w('CPU', 2)]);
    const summary = tally.summary();
    expect(summary?.waits).toHaveLength(9);
    expect(summary?.waits[0]).toEqual(w('CPU', 1000));
    expect(summary?.waits.at(-1)?.wait).toBe('other');
    expect(summary?.backendSamples).toBe(1500);
  });

  it('takes state names that are JavaScript object members as plain names, and drops counts that are not counts', () => {
    const tally = new TargetWaitTally();
    tally.add('n:1', [w('__proto__', 2), w('constructor', 1), w('toString', 1), w('CPU', Number.NaN), w('CPU', -3), w('CPU', 1.5)]);
    expect(tally.summary()?.waits).toEqual([w('__proto__', 2), w('constructor', 1), w('toString', 1)]);
  });
});

describe('target waits advice', () => {
  it('names the table\'s growth when streams queue to extend it, and says fewer streams cost the target less', () => {
    const advice = targetWaitsAdvice([w('CPU', 60), w('Lock:extend', 30), w('Client:ClientRead', 10)], 100);
    expect(advice).toContain('waited to extend the table in 30 % of samples');
    expect(advice).toContain('fewer streams (parallelism) cost it less');
  });

  it('names the write-ahead log when backends wait on it', () => {
    expect(targetWaitsAdvice([w('CPU', 50), w('LWLock:WALWrite', 20), w('IO:WALSync', 10)], 80)).toContain('write-ahead log in 38 % of samples');
  });

  it('says the target has room when its backends mostly wait for c2y', () => {
    expect(targetWaitsAdvice([w('Client:ClientRead', 50), w('idle in transaction', 20), w('CPU', 30)], 100)).toContain('were waiting for c2y in 70 %');
  });

  it('says nothing on too few samples or when no wait dominates', () => {
    expect(targetWaitsAdvice([w('Lock:extend', 10)], 10)).toBeNull();
    expect(targetWaitsAdvice([w('CPU', 90), w('Lock:extend', 10)], 100)).toBeNull();
  });
});

describe('target waits on the dashboard and /metrics', () => {
  it('shows the run\'s tally in the dashboard state and as a counter per wait, labels escaped', async () => {
    const stats = new RunStats([1]);
    stats.targetWaits.add('db:5432', [w('CPU', 3), w('Lock:extend', 2), w('weird "label"\n', 1)]);
    const state = dashboardState({ kind: 'migrate', runId: 'r1', source: 'ks.t', target: 'db.t', estimatedRows: 10, planned: null, config: {}, endpoints: [] }, stats, new RateHistory(), new Map(), 'running');
    expect(state.targetWaits).toMatchObject({ node: 'db:5432', samples: 1, backendSamples: 6 });
    const text = await createRunMetrics(() => state).metrics();
    expect(text).toContain('c2y_target_backend_samples_total{run="r1",table="ks.t",wait="CPU"} 3');
    expect(text).toContain('c2y_target_backend_samples_total{run="r1",table="ks.t",wait="Lock:extend"} 2');
    expect(text).toContain('wait="weird \\"label\\"\\n"} 1');
  });
});

describe('dashboard state: executors', () => {
  it('marks an executor the run ended before it was ready, as the report does, so its zeros are not read as figures', () => {
    const stats = new RunStats([1]);
    stats.listener({ type: 'executor-exited', executor: 1, code: 0, signal: null, expected: true });
    const state = dashboardState({ kind: 'migrate', runId: 'r1', source: 'ks.t', target: 'db.t', estimatedRows: 10, planned: null, config: {}, endpoints: [] }, stats, new RateHistory(), new Map(), 'finished');
    expect(state.executors.map((e) => [e.executor, e.ready])).toEqual([[1, false]]);
  });
});
