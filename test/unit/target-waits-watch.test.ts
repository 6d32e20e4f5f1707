import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/index.js';
import type { Queryable } from '../../src/sink/index.js';
import { TargetWaitTally } from '../../src/telemetry/index.js';
import { watchTargetWaits } from '../../src/workflow/target-waits-watch.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fakeTarget(answers: Array<Error | Array<{ wait: string; backends: number; node: string }>>): Queryable {
  let call = 0;
  return {
    query: async () => {
      const answer = answers[Math.min(call++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return { rows: answer ?? [] } as never;
    },
  };
}

describe('watchTargetWaits', () => {
  it('tallies the samples it took until stopped, leaving failed ones out and warning once', async () => {
    const warnings: string[] = [];
    const log = createLogger({ json: false, level: 'warn', write: (line: string) => { warnings.push(line); } });
    const db = fakeTarget([new Error('permission denied'), new Error('permission denied'), [{ wait: 'CPU', backends: 2, node: 'db:5432' }]]);
    const tally = new TargetWaitTally();
    const watch = watchTargetWaits({ db, runId: 'r', log, tally, intervalMs: 5 });
    await sleep(100);
    watch.stop();
    const summary = tally.summary();
    // Nothing is added once stopped.
    await sleep(30);
    expect(tally.summary()).toEqual(summary);
    expect(summary?.node).toBe('db:5432');
    expect(summary?.waits).toEqual([{ wait: 'CPU', backends: 2 * (summary?.samples ?? 0) }]);
    expect(warnings.filter((line) => line.includes('cannot sample the target'))).toHaveLength(1);
  });

  it('adds nothing when stopped before its first sample', () => {
    const tally = new TargetWaitTally();
    const watch = watchTargetWaits({ db: fakeTarget([[]]), runId: 'r', log: createLogger({ json: false, level: 'warn', write: () => undefined }), tally });
    watch.stop();
    expect(tally.summary()).toBeNull();
  });
});
