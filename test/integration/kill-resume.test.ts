import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killedMidRun, killResumeTrial, type TrialResult } from '../helpers/kill-resume-trial.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';

const TRIALS = 20;
let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(3000, 'kill');
});
afterAll(async () => fx?.close());

describe('kill -9 of driver and executors at a random instant, then --resume', () => {
  it(`loses and duplicates nothing in ${TRIALS} randomized trials (3-node ring, target through 3 addresses)`, async () => {
    const results: TrialResult[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const result = await killResumeTrial(fx, trial, { flushEvery: 100 });
      results.push(result);
      console.log(`trial ${trial}: kills at ${result.killAfterMs.join('/')} ms (rows then ${result.rowsAtKill.join('/')}), ${result.resumes} resume(s), rows ${result.targetRows}/${result.sourceRows}, lost ${result.lost}, duplicated ${result.duplicated}${result.error ? `, error ${result.error}` : ''}`);
    }
    expect(results.filter((r) => !r.completed)).toEqual([]);
    expect(results.reduce((sum, r) => sum + r.lost, 0)).toBe(0);
    expect(results.reduce((sum, r) => sum + r.duplicated, 0)).toBe(0);
    expect(results.every((r) => r.digestMatches)).toBe(true);
    // The kills must really land mid-run, with some rows committed and some not, or the test proves little.
    expect(results.filter(killedMidRun).length).toBeGreaterThanOrEqual(TRIALS / 2);
  }, 900_000);
});
