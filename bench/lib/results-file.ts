import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    return `unavailable: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Machine, versions and commit: every results file carries them. */
export function machineFacts(): Record<string, unknown> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    java: tryRun('java', ['-version']).split('\n')[0] || tryRun('bash', ['-c', 'java -version 2>&1 | head -1']),
    postgres: tryRun('psql', ['--version']),
    cassandra: process.env.C2Y_CASSANDRA_VERSION ?? '5.0.8',
  };
}

export function commitId(): string {
  const id = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  // Results written earlier in the same run are not changes to the code measured.
  const dirty = tryRun('git', ['status', '--porcelain', '--', '.', ':(exclude)bench/results']) !== '';
  return `${id}${dirty ? '-dirty' : ''}`;
}

/**
 * bench/results/<date>-<commit>-<scenario>.json (C2Y_BENCH_RESULTS_DIR elsewhere: the test suite's quick runs); a
 * second run of the scenario on the same day and commit (other parameters, say) writes …-<scenario>-2.json, and so
 * on, rather than over the first one's figures.
 */
export function writeResults(scenario: string, body: Record<string, unknown>): string {
  const dir = process.env.C2Y_BENCH_RESULTS_DIR ?? join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = unusedName(join(dir, `${date}-${commitId()}-${scenario}`));
  writeFileSync(file, JSON.stringify({ scenario, date: new Date().toISOString(), commit: commitId(), machine: machineFacts(), ...body }, null, 2) + '\n');
  return file;
}

/** `<base>.json`, or `<base>-<n>.json` with the smallest n ≥ 2 that no file has yet. */
export function unusedName(base: string): string {
  if (!existsSync(`${base}.json`)) return `${base}.json`;
  let n = 2;
  while (existsSync(`${base}-${n}.json`)) n++;
  return `${base}-${n}.json`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
