/**
 * Randomized kill -9 + resume trials against the 3-node test ring and the 3-address PostgreSQL:
 * `npm run bench -- kill-resume [--trials 100] [--rows 3000]` prints trials / completed / lost / duplicated.
 */
import { parseArgs } from 'node:util';
import { startCassandra, startPostgres } from '../src/testbed/index.js';
import { FAULTS, killedMidRun, killResumeTrial, type Fault, type FlushChoice, type TrialResult } from '../test/helpers/kill-resume-trial.js';
import { migrateFixture } from '../test/helpers/migrate-fixture.js';
import { loadStaticsTable } from '../test/helpers/statics-table.js';
import { writeResults } from './lib/results-file.js';

/**
 * `npm run bench -- soak [--trials 500]`: the same trials with a random fault each (see Fault), not only kill -9, and
 * 7, 13 or 100 rows a commit (the first two commit inside the events' 20-row partitions, so kills land there), and
 * three trials in ten on a table whose every fifth partition holds only static cells (each must be recorded once).
 */
export function soakBench(argv: string[]): Promise<void> {
  // More rows than kill-resume: a fault that lets the run go on must strike while it still runs.
  return faultTrials(argv, 'soak', FAULTS, '20000', 'mixed', true);
}

export function killResumeBench(argv: string[]): Promise<void> {
  return faultTrials(argv, 'kill-resume', ['kill-driver'], '3000', 100, false);
}

async function faultTrials(argv: string[], scenario: string, faults: readonly Fault[], defaultRows: string, flushEvery: FlushChoice, validate: boolean): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { trials: { type: 'string', default: '100' }, rows: { type: 'string', default: defaultRows }, quick: { type: 'boolean', default: false }, 'first-trial': { type: 'string', default: '0' } } });
  const trials = values.quick ? 3 : Number(values.trials);
  const rows = values.quick ? 1000 : Number(values.rows);
  // Trials are reproducible from their number: a later run continues the sequence instead of repeating it.
  const firstTrial = Number(values['first-trial']);
  await startCassandra({ nodes: 3, log: (line) => console.log(`[testbed] ${line}`) });
  startPostgres((line) => console.log(`[testbed] ${line}`));
  const fx = await migrateFixture(rows, 'soakkill');
  // Loaded for the soak only: kill-resume keeps to events.
  const statics = validate ? await loadStaticsTable(fx.keyspace, Math.max(10, Math.round(rows / 20))) : undefined;
  const results: TrialResult[] = [];
  const parameters = { trials, firstTrial, rows, flushEvery, ring: 3, targetAddresses: 3, faults, validateEachTrial: validate, statics: statics ?? null };
  let file = '';
  try {
    for (let trial = firstTrial; trial < firstTrial + trials; trial++) {
      const result = await killResumeTrial(fx, trial, { flushEvery, faults, validate, ...(statics === undefined ? {} : { statics }) });
      results.push(result);
      console.log(`trial ${trial - firstTrial + 1}/${trials} ${result.table} ${result.fault} (flush ${result.flushEvery}): rows at fault ${result.rowsAtKill.join('/')}, final ${result.targetRows}/${result.sourceRows}, lost ${result.lost}, duplicated ${result.duplicated}${result.staticOnly === undefined ? '' : `, static-only recorded ${result.staticOnly.recorded}/${result.staticOnly.expected}`}${result.validateClean === null ? '' : `, validate ${result.validateClean ? 'clean' : 'DIFFERS'}`}${result.completed ? '' : ` NOT COMPLETED: ${result.error ?? ''}`}`);
      // Written after every trial: a soak stopped half way still leaves its figures.
      file = writeResults(scenario, { parameters, partial: results.length < trials, summary: summarize(results, faults), results }, file || undefined);
    }
  } finally {
    await fx.close();
  }
  const summary = summarize(results, faults);
  console.log(`trials ${summary.trials} / completed ${summary.completed} / lost ${summary.lost} / duplicated ${summary.duplicated} (struck mid-run: ${summary.killedMidRun}, digest mismatches: ${summary.digestMismatches}, validate not clean: ${summary.validateNotClean}, commits inside partitions: ${summary.insidePartitions}, on statics: ${summary.onStatics}, faults: ${JSON.stringify(summary.byFault)})`);
  console.log(`results: ${file}`);
  if (summary.completed !== summary.trials || summary.lost !== 0 || summary.duplicated !== 0 || summary.digestMismatches !== 0 || summary.validateNotClean !== 0) process.exitCode = 1;
}

function summarize(results: readonly TrialResult[], faults: readonly Fault[]): Record<string, unknown> & { trials: number; completed: number; lost: number; duplicated: number; killedMidRun: number; digestMismatches: number; validateNotClean: number; insidePartitions: number; onStatics: number; byFault: Record<string, number> } {
  return {
    trials: results.length,
    completed: results.filter((r) => r.completed).length,
    killedMidRun: results.filter(killedMidRun).length,
    lost: results.reduce((sum, r) => sum + r.lost, 0),
    duplicated: results.reduce((sum, r) => sum + r.duplicated, 0),
    digestMismatches: results.filter((r) => !r.digestMatches).length,
    byFault: Object.fromEntries(faults.map((fault) => [fault, results.filter((r) => r.fault === fault).length])),
    insidePartitions: results.filter((r) => r.flushEvery < 20).length,
    onStatics: results.filter((r) => r.table === 'statics').length,
    validateNotClean: results.filter((r) => r.validateClean === false).length,
  };
}
