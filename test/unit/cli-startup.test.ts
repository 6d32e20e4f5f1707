import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/c2y.js');

function timed(args: readonly string[]): { ms: number; stdout: string; status: number | null } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: run.stdout, status: run.status };
}

describe('c2y starts fast', () => {
  it('answers --help in under 300 ms (median of 5): no command\'s dependencies are loaded for it', () => {
    const runs = Array.from({ length: 5 }, () => timed(['--help']));
    const median = runs.map((r) => r.ms).sort((a, b) => a - b)[2] as number;
    console.log(`c2y --help: median ${median.toFixed(0)} ms`);
    expect(runs[0]?.status).toBe(0);
    for (const name of ['migrate', 'plan', 'schema', 'validate', 'worker', 'status', 'ui', 'init', 'demo', 'testbed']) expect(runs[0]?.stdout).toContain(name);
    expect(median).toBeLessThan(300);
  });

  it('help for one command shows its own options, also as `c2y help <command>`', () => {
    expect(timed(['migrate', '--help']).stdout).toContain('--resume [runId]');
    expect(timed(['help', 'worker']).stdout).toContain('--allow-source <list>');
  });
});
