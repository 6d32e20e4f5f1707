import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SEMI_SPACE_MIB, YOUNG_GENERATION_BYTES } from '../../src/plan/index.js';
import { executorEnvironment, executorNodeArgs } from '../../src/task/executor-process.js';

/**
 * V8's new space (two semi-spaces) at start and after a second of young garbage with survivors, in a process started
 * with the executor's flags: the young generation the plan counts.
 */
const NEW_SPACE_SIZES = `
import { getHeapSpaceStatistics } from 'node:v8';
const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
const atStart = newSpace();
const kept = [];
let sink;
const until = Date.now() + 1000;
while (Date.now() < until) {
  for (let i = 0; i < 20000; i++) { sink = { i, pair: [i, i + 1] }; if (i % 10 === 0) kept.push(sink); }
  if (kept.length > 200000) kept.splice(0, 100000);
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write(JSON.stringify({ atStart, afterChurn: newSpace() }));
`;

describe('an executor\'s young generation', () => {
  it('is one size after its first scavenge, the size the plan counts (V8 had doubled it mid-run, a long run\'s heap 8 MiB larger)', () => {
    const run = spawnSync(process.execPath, [...executorNodeArgs(1024, ''), '--input-type=module', '-e', NEW_SPACE_SIZES], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const sizes = JSON.parse(run.stdout) as { atStart: number; afterChurn: number };
    // V8 commits the second semi-space at the first scavenge; from there on the size holds (unpinned: 32 MiB).
    expect(sizes.atStart).toBeLessThanOrEqual(YOUNG_GENERATION_BYTES);
    expect(sizes.afterChurn).toBe(YOUNG_GENERATION_BYTES);
  });

  it('takes the flags for diagnosis after its own', () => {
    const args = executorNodeArgs(512, '--cpu-prof  --trace-gc');
    expect(args.slice(-2)).toEqual(['--cpu-prof', '--trace-gc']);
    expect(args).toContain(`--min-semi-space-size=${SEMI_SPACE_MIB}`);
    expect(args).toContain('--max-old-space-size=512');
  });

  it('has gc() for its old-space bound', () => {
    const run = spawnSync(process.execPath, [...executorNodeArgs(256, ''), '-e', 'process.stdout.write(typeof gc)'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('function');
  });
});

describe('an executor\'s environment', () => {
  it('has one malloc arena unless the driver\'s environment names a count, and is the driver\'s otherwise', () => {
    expect(executorEnvironment({ PATH: '/bin' })).toEqual({ PATH: '/bin', MALLOC_ARENA_MAX: '1' });
    expect(executorEnvironment({ MALLOC_ARENA_MAX: '4' })['MALLOC_ARENA_MAX']).toBe('4');
  });
});
