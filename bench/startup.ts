/**
 * `npm run bench -- startup [--trials 9] [--quick]`: the CPU an executor spends importing its code, from the modules
 * tsc emitted against the bundle the build makes of them (scripts/bundle.mjs), and the same for the driver's import
 * of `migrate` (the CLI's bundle: its migrate chunk, with the chunks it imports). Each trial is a fresh Node process
 * (as each executor of a run is); the entries alternate so a machine slowing down weighs on all of them.
 * Last line: `startup: module_ms=<x> bundle_ms=<y> ratio=<x/y>` (the executor's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, writeResults } from './lib/results-file.js';

/** The CLI bundle's chunk of `migrate` (its name carries a content hash), or a path that does not exist. */
function bundledMigrate(): string {
  const chunk = existsSync('dist/bundle') ? readdirSync('dist/bundle').find((name) => /^migrate-command-\w+\.mjs$/.test(name)) : undefined;
  return `dist/bundle/${chunk ?? 'migrate-command-*.mjs'}`;
}

const ENTRIES = {
  module: 'dist/task/executor-main.js',
  bundle: 'dist/task/executor-main.bundle.mjs',
  driverMigrate: 'dist/cli/migrate-command.js',
  driverMigrateBundle: bundledMigrate(),
} as const;
type Entry = keyof typeof ENTRIES;

interface Sample { readonly importCpuMs: number; readonly processCpuMs: number }

/** One fresh process: the CPU its import of `file` took, and all its CPU by then (Node's own start included). */
function sample(file: string): Sample {
  const script = `const before = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(resolve(file)).href)});
const spent = process.cpuUsage(before); const all = process.cpuUsage();
process.stdout.write(JSON.stringify({ importCpuMs: (spent.user + spent.system) / 1000, processCpuMs: (all.user + all.system) / 1000 })); process.exit(0);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr.slice(-1000)}`);
  return JSON.parse(run.stdout) as Sample;
}

export async function startupBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { trials: { type: 'string', default: '9' }, quick: { type: 'boolean', default: false } } });
  const trials = values.quick ? 2 : Number(values.trials);
  for (const file of Object.values(ENTRIES)) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  }
  const samples: Record<Entry, Sample[]> = { module: [], bundle: [], driverMigrate: [], driverMigrateBundle: [] };
  for (let trial = 0; trial < trials; trial++) {
    for (const entry of Object.keys(ENTRIES) as Entry[]) samples[entry].push(sample(ENTRIES[entry]));
  }
  const medians = Object.fromEntries((Object.keys(ENTRIES) as Entry[]).map((entry) => [entry, {
    importCpuMs: median(samples[entry].map((s) => s.importCpuMs)), processCpuMs: median(samples[entry].map((s) => s.processCpuMs)),
  }])) as Record<Entry, Sample>;
  const file = writeResults('startup', { parameters: { trials, entries: ENTRIES, cpu: 'process.cpuUsage of a fresh node process around its import (importCpuMs) and in all (processCpuMs)' }, medians, samples });
  console.log(`[bench] import CPU (medians of ${trials}): executor modules ${medians.module.importCpuMs.toFixed(0)} ms, bundle ${medians.bundle.importCpuMs.toFixed(0)} ms; the driver's migrate: modules ${medians.driverMigrate.importCpuMs.toFixed(0)} ms, bundle ${medians.driverMigrateBundle.importCpuMs.toFixed(0)} ms → ${file}`);
  console.log(`startup: module_ms=${medians.module.importCpuMs.toFixed(0)} bundle_ms=${medians.bundle.importCpuMs.toFixed(0)} ratio=${(medians.module.importCpuMs / medians.bundle.importCpuMs).toFixed(2)}`);
}
