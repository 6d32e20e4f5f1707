import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GarbageGovernor, startGarbageGovernor } from '../../src/task/garbage-governor.js';
import { executorEnvironment, executorNodeArgs } from '../../src/task/executor-process.js';

const MIB = 1024 * 1024;

describe('the garbage governor decides', () => {
  it('collects once buffers grow its budget past what the last collection left, and measures from there again', () => {
    const governor = new GarbageGovernor(8 * MIB, 30 * MIB);
    expect(governor.due(37 * MIB)).toBe(false);
    expect(governor.due(38 * MIB)).toBe(true);
    governor.collected(31 * MIB);
    expect(governor.due(38 * MIB)).toBe(false);
    expect(governor.due(39 * MIB)).toBe(true);
    expect(governor.collections).toBe(1);
  });

  it('measures from the lowest level seen, so buffers released without a collection do not hide later growth', () => {
    const governor = new GarbageGovernor(8 * MIB, 30 * MIB);
    expect(governor.due(20 * MIB)).toBe(false);
    expect(governor.due(28 * MIB)).toBe(true);
  });
});

describe('the garbage governor runs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks on its interval and collects only when due', () => {
    vi.useFakeTimers();
    let buffers = 10 * MIB;
    const collect = vi.fn(() => {
      buffers = 12 * MIB;
    });
    const started = startGarbageGovernor({ budgetBytes: 8 * MIB, everyMs: 100, collect, arrayBuffers: () => buffers });
    buffers = 17 * MIB;
    vi.advanceTimersByTime(100);
    expect(collect).not.toHaveBeenCalled();
    buffers = 18 * MIB;
    vi.advanceTimersByTime(100);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(started?.governor.collections).toBe(1);
    started?.stop();
  });

  it('does nothing where gc() is not exposed (tasks run in a test process)', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(startGarbageGovernor({ budgetBytes: MIB, everyMs: 10 })).toBeUndefined();
  });
});

/**
 * A process with the executor's own flags that keeps ~8 MiB of buffers alive for 150 ms each, long enough to be
 * promoted, and drops them: garbage only a full collection returns. Prints its peak and live array-buffer MiB.
 */
const PROMOTED_GARBAGE = `
const { startGarbageGovernor } = await import(process.env.GOVERNOR_URL);
if (process.argv.includes('governed')) startGarbageGovernor({ budgetBytes: 8 * 1048576, everyMs: 20 });
const live = [];
let peak = 0, sink;
const until = Date.now() + 2000;
while (Date.now() < until) {
  live.push({ at: Date.now(), buffer: Buffer.allocUnsafeSlow(64 * 1024) });
  while (live[0].at < Date.now() - 150) live.shift();
  for (let j = 0; j < 500; j++) sink = { j, list: [j, j] };
  await new Promise((resolve) => setTimeout(resolve, 1));
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
}
process.stdout.write(JSON.stringify({ peakMiB: peak / 1048576, liveMiB: live.length / 16 }));
`;

function promotedGarbagePeak(mode: 'governed' | 'ungoverned'): { peakMiB: number; liveMiB: number } {
  const run = spawnSync(process.execPath, [...executorNodeArgs(1024, ''), '--input-type=module', '-e', PROMOTED_GARBAGE, '--', mode], {
    encoding: 'utf8', env: { ...process.env, GOVERNOR_URL: pathToFileURL(resolve('dist/task/garbage-governor.js')).href },
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { peakMiB: number; liveMiB: number };
}

describe('an executor with the governor', () => {
  it('holds promoted buffer garbage within its budget, where V8 alone let it grow to several times that', () => {
    const governed = promotedGarbagePeak('governed');
    const ungoverned = promotedGarbagePeak('ungoverned');
    // Seen: governed ~18 MiB over ~8 live; ungoverned 32 (V8's own limit for them under the executor's flags).
    expect(governed.peakMiB).toBeLessThan(governed.liveMiB + 8 + 5);
    expect(ungoverned.peakMiB).toBeGreaterThan(ungoverned.liveMiB + 8 + 5);
  });

  it('is started with a young generation of one size, gc() exposed and malloc giving large blocks back', () => {
    const args = executorNodeArgs(1024, '--cpu-prof');
    expect(args).toContain('--expose-gc');
    expect(args.find((a) => a.startsWith('--min-semi-space-size='))?.split('=')[1]).toBe(args.find((a) => a.startsWith('--max-semi-space-size='))?.split('=')[1]);
    expect(args.at(-1)).toBe('--cpu-prof');
    expect(executorEnvironment({ PATH: '/bin' })).toEqual({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(executorEnvironment({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_).toBe('65536');
  });
});
