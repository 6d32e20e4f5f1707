import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

function tryRun(command: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) }).trim();
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

/**
 * The environment that changes what runs without changing the code: extra Node flags for the executors, Node's own
 * options, glibc's malloc tuning, libuv's pool. Only what is set; a results file without it ran with none of them.
 */
export function runEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const shaping = (name: string): boolean => ['C2Y_EXECUTOR_NODE_ARGS', 'NODE_OPTIONS', 'UV_THREADPOOL_SIZE'].includes(name) || name.startsWith('MALLOC_');
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => shaping(entry[0]) && entry[1] !== undefined && entry[1] !== '').sort(([a], [b]) => a.localeCompare(b)));
}

// Results written earlier in the same run are not changes to the code measured.
const MEASURED_PATHS = ['--', '.', ':(exclude)bench/results'];

/** The short commit, with "-dirty" when the measured paths differ from it (`tree`: a workTree already read). */
export function commitId(cwd?: string, tree: Pick<WorkTree, 'changed'> = { changed: changedFiles(cwd) }): string {
  const id = tryRun('git', ['rev-parse', '--short', 'HEAD'], cwd);
  return `${id}${tree.changed.length > 0 ? '-dirty' : ''}`;
}

function changedFiles(cwd?: string): string[] {
  const status = tryRun('git', ['status', '--porcelain', ...MEASURED_PATHS], cwd);
  return status === '' ? [] : status.split('\n').map((line) => line.trim());
}

/** What a "-dirty" commit id hides: the changed files, and a digest of their diff so two dirty builds can be told apart. */
export interface WorkTree {
  readonly changed: readonly string[];
  readonly diffSha256: string | null;
}

export function workTree(cwd?: string): WorkTree {
  const changed = changedFiles(cwd);
  // Not a git checkout (or no git): the id says -dirty and the reason stands in the list.
  if (changed.length === 0 || changed[0]?.startsWith('unavailable:') === true) return { changed, diffSha256: null };
  // Untracked files count through their contents too: `git add -N` is not needed for the digest to see them.
  const untracked = tryRun('git', ['ls-files', '--others', '--exclude-standard', ...MEASURED_PATHS], cwd).split('\n').filter(Boolean);
  const hash = createHash('sha256').update(tryRun('git', ['diff', 'HEAD', ...MEASURED_PATHS], cwd));
  for (const file of untracked) hash.update(`\0${file}\0`).update(readFileSync(join(cwd ?? '.', file)));
  return { changed, diffSha256: hash.digest('hex') };
}

/**
 * bench/results/<date>-<commit>-<scenario>.json (C2Y_BENCH_RESULTS_DIR elsewhere: the test suite's quick runs); a
 * second run of the scenario on the same day and commit (other parameters, say) writes …-<scenario>-2.json, and so
 * on, rather than over the first one's figures. `over`: a file this run wrote before, written again (a soak's
 * figures after each trial); without it, a 40-trial soak left 40 files, each one trial longer.
 */
export function writeResults(scenario: string, body: Record<string, unknown>, over?: string): string {
  const dir = process.env.C2Y_BENCH_RESULTS_DIR ?? join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  // Read once: the file's name, its commit and its workTree describe the same tree.
  const tree = workTree();
  const commit = commitId(undefined, tree);
  const file = over ?? unusedName(join(dir, `${date}-${commit}-${scenario}`));
  writeFileSync(file, JSON.stringify({ scenario, date: new Date().toISOString(), commit, workTree: tree, machine: machineFacts(), environment: runEnvironment(), ...body }, null, 2) + '\n');
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
