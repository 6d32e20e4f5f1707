import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitId, runEnvironment, unusedName, workTree, writeResults } from '../../bench/lib/results-file.js';

describe('a bench results file', () => {
  it('never replaces an earlier run\'s file of the same day, commit and scenario: -2, -3, … instead', () => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-results-'));
    const base = join(folder, '2026-12-03-0398b9f-limits');
    expect(unusedName(base)).toBe(`${base}.json`);
    writeFileSync(`${base}.json`, '{}');
    expect(unusedName(base)).toBe(`${base}-2.json`);
    writeFileSync(`${base}-2.json`, '{}');
    expect(unusedName(base)).toBe(`${base}-3.json`);
    rmSync(folder, { recursive: true });
  });

  it('a run that writes its figures as it goes (a soak, after each trial) rewrites its own file, not a new one each time', () => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-results-'));
    const before = process.env.C2Y_BENCH_RESULTS_DIR;
    process.env.C2Y_BENCH_RESULTS_DIR = folder;
    try {
      let file = '';
      for (let trial = 1; trial <= 3; trial++) file = writeResults('soak', { trials: trial }, file || undefined);
      expect(readdirSync(folder)).toHaveLength(1);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ scenario: 'soak', trials: 3 });
    } finally {
      if (before === undefined) delete process.env.C2Y_BENCH_RESULTS_DIR;
      else process.env.C2Y_BENCH_RESULTS_DIR = before;
      rmSync(folder, { recursive: true });
    }
  });
});

describe('a bench results file\'s environment', () => {
  it('records the settings that change what runs without changing the code, and only those that are set', () => {
    const env = { C2Y_EXECUTOR_NODE_ARGS: '--min-semi-space-size=16', MALLOC_MMAP_THRESHOLD_: '1048576', NODE_OPTIONS: '', PATH: '/usr/bin', HOME: '/root', UV_THREADPOOL_SIZE: '8' };
    expect(runEnvironment(env)).toEqual({ C2Y_EXECUTOR_NODE_ARGS: '--min-semi-space-size=16', MALLOC_MMAP_THRESHOLD_: '1048576', UV_THREADPOOL_SIZE: '8' });
    expect(runEnvironment({ PATH: '/usr/bin' })).toEqual({});
  });
});

describe('a bench results file\'s work tree', () => {
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' });
  const repo = (): string => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-worktree-'));
    git(folder, 'init', '-q');
    writeFileSync(join(folder, 'a.ts'), 'one\n');
    git(folder, 'add', '.');
    git(folder, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    return folder;
  };

  it('names what "-dirty" hides, and two different dirty trees get different digests', () => {
    const folder = repo();
    expect(workTree(folder)).toEqual({ changed: [], diffSha256: null });
    expect(commitId(folder)).not.toContain('-dirty');
    writeFileSync(join(folder, 'a.ts'), 'two\n');
    const first = workTree(folder);
    expect(first.changed).toEqual(['M a.ts']);
    expect(commitId(folder)).toMatch(/-dirty$/);
    writeFileSync(join(folder, 'a.ts'), 'three\n');
    const second = workTree(folder);
    expect(second.changed).toEqual(['M a.ts']);
    expect(second.diffSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.diffSha256).not.toBe(first.diffSha256);
    rmSync(folder, { recursive: true });
  });

  it('sees an untracked file\'s contents, and leaves bench/results out', () => {
    const folder = repo();
    mkdirSync(join(folder, 'bench', 'results'), { recursive: true });
    writeFileSync(join(folder, 'bench', 'results', 'x.json'), '{}');
    expect(workTree(folder).changed).toEqual([]);
    writeFileSync(join(folder, 'new.ts'), 'a\n');
    const first = workTree(folder);
    writeFileSync(join(folder, 'new.ts'), 'b\n');
    const second = workTree(folder);
    expect(first.changed).toEqual(['?? new.ts']);
    expect(second.diffSha256).not.toBe(first.diffSha256);
    rmSync(folder, { recursive: true });
  });
});
