import { describe, expect, it } from 'vitest';
import { expectedRowsPerSecond, planResources, streamsForRate, type PlanSettings } from '../../src/plan/index.js';

const MB = 1000 * 1000;
const GB = 1000 * MB;
const facts = { encodedRowBytes: 300, decodedRowBytes: 1200, targetNodes: 3 };

function seed(partitions: number, executors: number, cores: number): PlanSettings {
  return { effectivePartitions: partitions, executors, cores, executorMemoryBytes: 4 * GB, copyBufferSize: 10_000, copyBufferBytes: 64 * MB, fetchSize: 5000, rawPages: false, safetyFactor: 1.5, refuseBelow: 0.5 };
}

describe('the seed\'s memory arithmetic', () => {
  it('parallelism 16 / 4 executors / 4 cores at 200 MB a task needs 1.2 GB an executor', () => {
    const plan = planResources(seed(16, 4, 4), facts, 200 * MB);
    expect(plan).toMatchObject({ partitionsPerExecutor: 4, concurrentTasksPerExecutor: 4 });
    expect(plan.requiredExecutorBytes).toBe(1.2 * GB);
  });

  it('32 / 8 / 4 needs 1.2 GB, and 64 / 8 / 8 needs 2.4 GB', () => {
    expect(planResources(seed(32, 8, 4), facts, 200 * MB).requiredExecutorBytes).toBe(1.2 * GB);
    expect(planResources(seed(64, 8, 8), facts, 200 * MB).requiredExecutorBytes).toBe(2.4 * GB);
  });

  it('caps concurrent tasks at the partitions an executor gets', () => {
    expect(planResources(seed(6, 4, 8), facts, 200 * MB)).toMatchObject({ partitionsPerExecutor: 2, concurrentTasksPerExecutor: 2, totalConnections: 6, connectionsPerNode: 2 });
  });

  it('warns under headroom 1 naming the knobs, and refuses under the floor', () => {
    const tight = planResources({ ...seed(64, 8, 8), executorMemoryBytes: 2 * GB }, facts, 200 * MB);
    expect(tight.headroom).toBeCloseTo(2 / 2.4, 5);
    expect(tight.warnings.join(' ')).toContain('fewer cores per executor');
    expect(tight.refuse).toBe(false);
    expect(planResources({ ...seed(64, 8, 8), executorMemoryBytes: 1 * GB }, facts, 200 * MB).refuse).toBe(true);
  });

  it('adds up memory per task from what a task holds: two pages, the encoder\'s chunk, its connection', () => {
    const plan = planResources(seed(16, 4, 4), facts);
    const terms = plan.memoryPerTask;
    // Two pages, each as decoded rows (1200 B) and as the raw frame (~the encoded 300 B); no copyBufferSize × row term.
    expect(terms.pageRows).toBe(5000);
    expect(terms.pageBytes).toBe(2 * 5000 * (1200 + 300));
    expect(terms.total).toBe(terms.encodeBufferBytes + terms.pageBytes + terms.connectionBytes);
    // Raw pages hold the frames only, as the page pools make them: 25 % of room, and each cell's offsets (8 bytes).
    expect(planResources({ ...seed(16, 4, 4), rawPages: true }, facts).memoryPerTask.pageBytes).toBe(2 * 5000 * 1.25 * 300);
    expect(planResources({ ...seed(16, 4, 4), rawPages: true }, { ...facts, cellsPerRow: 13 }).memoryPerTask.pageBytes).toBe(2 * 5000 * 1.25 * (300 + 8 * 13));
  });

  it('gives large rows few to a page: 1 MB rows run with the default settings, within the executor\'s memory', () => {
    // Defaults: 1 GiB executors, 4 cores, copyBufferSize 10,000, fetchSize 5,000; copyBufferBytes = 1 GiB / 4 / 4.
    const settings = { ...seed(8, 2, 4), executorMemoryBytes: 1024 ** 3, copyBufferBytes: 1024 ** 3 / 16, rawPages: true };
    const plan = planResources(settings, { encodedRowBytes: 1024 * 1024, decodedRowBytes: 1.2 * 1024 * 1024, targetNodes: 1 });
    expect(plan.memoryPerTask.pageRows).toBe(32);
    expect(plan.headroom).toBeGreaterThan(1);
    expect(plan.refuse).toBe(false);
    // A row larger than copyBufferBytes still gets a page of one row.
    expect(planResources({ ...settings, copyBufferBytes: 1000 }, { encodedRowBytes: 5000, decodedRowBytes: 5000, targetNodes: 1 }).memoryPerTask.pageRows).toBe(1);
  });
});

describe('the latency model', () => {
  it('loses throughput to round trips only in proportion to round trips per row', () => {
    const at0 = expectedRowsPerSecond(16, 0, 50_000, 5000);
    const at20 = expectedRowsPerSecond(16, 20, 50_000, 5000);
    expect(at20 / at0).toBeGreaterThan(0.99);
    expect(expectedRowsPerSecond(16, 20, 1, 5000) / expectedRowsPerSecond(16, 0, 1, 5000)).toBeLessThan(0.01);
  });

  it('finds the fewest streams for a target rate', () => {
    const streams = streamsForRate(20_000, 20, 5000, 5000)!;
    expect(expectedRowsPerSecond(streams, 20, 5000, 5000)).toBeGreaterThanOrEqual(20_000);
    expect(expectedRowsPerSecond(streams - 1, 20, 5000, 5000)).toBeLessThan(20_000);
  });
});
