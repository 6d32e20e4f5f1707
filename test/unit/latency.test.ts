import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, LatencyHistogram, progressLine, progressSnapshot, RunStats, slowestStreams } from '../../src/observe/index.js';
import { createRunMetrics, dashboardState, RateHistory } from '../../src/ui/index.js';

describe('latency histograms', () => {
  it('count each latency in its bucket and read quantiles as bucket upper bounds', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 990; i++) h.record(2.5);
    for (let i = 0; i < 9; i++) h.record(40);
    h.record(120_000);
    expect(h.quantiles()).toEqual({ count: 1000, p50: 3, p99: 3, p999: 50 });
    h.record(0);
    expect(h.counts[0]).toBe(1);
    expect(new LatencyHistogram().quantiles()).toEqual({ count: 0, p50: null, p99: null, p999: null });
    expect(h.quantile(1)).toBe((LATENCY_BOUNDS_MS.at(-1) as number) * 2);
  });

  it('add up over executors, keeping what a crashed executor counted before its new process started from zero', () => {
    const stats = new RunStats([1]);
    const counts = (n: number, at = 5): number[] => Object.assign(new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), { [at]: n });
    stats.listener({ type: 'latency', executor: 1, pageReadMs: counts(10), commitMs: counts(2) });
    stats.listener({ type: 'latency', executor: 2, pageReadMs: counts(5), commitMs: counts(1) });
    stats.listener({ type: 'latency', executor: 1, pageReadMs: counts(30), commitMs: counts(6) });
    expect(stats.latencies.quantiles('pageRead').count).toBe(35);
    // Executor 1 crashed and its new process reports 4: the 30 before stay counted.
    stats.listener({ type: 'latency', executor: 1, pageReadMs: counts(4), commitMs: counts(1) });
    expect(stats.latencies.quantiles('pageRead').count).toBe(39);
    expect(stats.latencies.quantiles('commit').count).toBe(8);
    expect(progressLine(progressSnapshot(stats, 100))).toContain('read p50/p99 7.5/7.5 ms  commit 7.5/7.5 ms');
  });

  it('are Prometheus histograms: cumulative buckets in seconds, +Inf, sum and count', async () => {
    const stats = new RunStats([1]);
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    counts[1] = 3; // ≤ 1 ms
    counts[6] = 2; // ≤ 10 ms
    counts[LATENCY_BOUNDS_MS.length] = 1; // beyond the last bound
    stats.listener({ type: 'latency', executor: 1, pageReadMs: counts, commitMs: counts });
    const state = dashboardState({ kind: 'migrate', runId: 'r1', source: 'ks.t', target: 'db.t', estimatedRows: 10, planned: null, config: {}, endpoints: [] }, stats, new RateHistory(), new Map(), 'running');
    const text = await createRunMetrics(() => state).metrics();
    expect(text).toContain('# TYPE c2y_page_read_seconds histogram');
    expect(text).toContain('c2y_page_read_seconds_bucket{run="r1",table="ks.t",le="0.0005"} 0');
    expect(text).toContain('c2y_page_read_seconds_bucket{run="r1",table="ks.t",le="0.001"} 3');
    expect(text).toContain('c2y_page_read_seconds_bucket{run="r1",table="ks.t",le="0.01"} 5');
    expect(text).toContain('c2y_page_read_seconds_bucket{run="r1",table="ks.t",le="+Inf"} 6');
    expect(text).toContain('c2y_page_read_seconds_count{run="r1",table="ks.t"} 6');
    expect(text).toContain('# TYPE c2y_commit_seconds histogram');
  });

  it('per stream: each split\'s own p50/p99 on the dashboard, and the slowest streams in the report', () => {
    const stats = new RunStats([1, 2, 3]);
    const histogram = (ms: number[]): number[] => {
      const h = new LatencyHistogram();
      for (const value of ms) h.record(value);
      return [...h.counts];
    };
    const committed = (splitId: number, pageReads: number[]): void => stats.listener({
      type: 'batch-committed', splitId, rows: 10, bytes: 100, rejected: 0, staticOnly: 0, referenceCells: 0, sourceWaitMs: 0, transcodeMs: 0, targetWaitMs: 0,
      roundTrips: 1, lastToken: null, executor: 0, streamLatency: { pageReadMs: histogram(pageReads), commitMs: histogram([4]) },
    });
    committed(1, [2, 3, 4]);
    committed(2, [40, 900]);
    committed(3, [40, 40]);
    const report = slowestStreams(stats);
    expect(report.map((s) => s.splitId)).toEqual([2, 3, 1]);
    expect(report[0]?.pageReadMs).toMatchObject({ p99: 1000, count: 2 });
    const state = dashboardState({ kind: 'migrate', runId: 'r1', source: 'ks.t', target: 'db.t', estimatedRows: 10, planned: null, config: {}, endpoints: [] }, stats, new RateHistory(), new Map(), 'running');
    expect(state.splits.find((s) => s.id === 2)?.latency).toEqual({ pageRead: [50, 1000], commit: [5, 5] });
  });
});
