import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OLD_SPACE_SLACK_BYTES, OldSpaceBound } from '../../src/task/old-space-bound.js';
import { executorNodeArgs } from '../../src/task/executor-process.js';

const MIB = 1024 * 1024;

/**
 * Objects held across scavenges (so V8 promotes them) and then dropped, round after round, in a process with the
 * executor's flags: the built bound checked after each round, or not. Prints how far the old space grew.
 */
const PROMOTED_GARBAGE = `
import { OldSpaceBound, exposedCollector, oldSpaceUsed } from '${process.cwd()}/dist/task/old-space-bound.js';
const bound = new OldSpaceBound(process.env.C2Y_TEST_BOUND === '1' ? exposedCollector() : undefined);
const start = oldSpaceUsed();
let peak = 0;
let sink;
for (let round = 0; round < 40; round++) {
  let held = Array.from({ length: 20000 }, (_, i) => ({ i, name: 'row ' + i }));
  for (let k = 0; k < 4; k++) {
    for (let j = 0; j < 100000; j++) sink = { j, pair: [j] };
    await new Promise((resolve) => setImmediate(resolve));
  }
  held = null;
  bound.check();
  peak = Math.max(peak, oldSpaceUsed());
}
process.stdout.write(JSON.stringify({ grew: peak - start, collected: bound.collected }));
`;

function promotedGarbage(bound: boolean): { grew: number; collected: number } {
  const run = spawnSync(process.execPath, [...executorNodeArgs(1024, ''), '--input-type=module', '-e', PROMOTED_GARBAGE], { encoding: 'utf8', env: { ...process.env, C2Y_TEST_BOUND: bound ? '1' : '0' } });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { grew: number; collected: number };
}

/** An old space in MiB that the test sets by hand; a collection leaves `afterCollectMiB` (or changes nothing). */
function fakeHeap(usedMiB: number, afterCollectMiB?: number) {
  const heap = {
    usedMiB,
    collections: 0,
    measure: () => heap.usedMiB * MIB,
    collect: () => {
      heap.collections++;
      if (afterCollectMiB !== undefined) heap.usedMiB = afterCollectMiB;
    },
  };
  return heap;
}

describe('the old-space bound', () => {
  it('keeps promoted garbage within its slack in a process with the executor\'s flags; unbounded, V8 keeps all of it', () => {
    const unbounded = promotedGarbage(false);
    const bounded = promotedGarbage(true);
    // The scenario does leave its objects to the old space (so the bound has something to do): ~1.5 MiB a round.
    expect(unbounded.grew).toBeGreaterThan(20 * MIB);
    expect(bounded.collected).toBeGreaterThan(0);
    expect(bounded.grew).toBeLessThanOrEqual(OLD_SPACE_SLACK_BYTES + 2 * MIB);
  });

  it('collects once the old space has grown by the slack since its last collection, and measures anew after it', () => {
    const heap = fakeHeap(10, 11);
    const bound = new OldSpaceBound(heap.collect, heap.measure, 4 * MIB);
    heap.usedMiB = 13;
    expect(bound.check()).toBe(false);
    heap.usedMiB = 14;
    expect(bound.check()).toBe(true);
    expect(heap.collections).toBe(1);
    // Measured at 11 MiB after its collection: 14 is 3 above, not yet the slack.
    heap.usedMiB = 14;
    expect(bound.check()).toBe(false);
    expect(bound.collected).toBe(1);
  });

  it('follows a collection V8 made on its own down, so the next one is due a slack above the new live set', () => {
    const heap = fakeHeap(20);
    const bound = new OldSpaceBound(heap.collect, heap.measure, 4 * MIB);
    heap.usedMiB = 8;
    expect(bound.check()).toBe(false);
    heap.usedMiB = 12;
    expect(bound.check()).toBe(true);
    expect(heap.collections).toBe(1);
  });

  it('does nothing in a process without gc() (started without --expose-gc)', () => {
    let used = 0;
    const bound = new OldSpaceBound(undefined, () => used, 1);
    used = 100 * MIB;
    expect(bound.check()).toBe(false);
    expect(bound.collected).toBe(0);
  });
});
