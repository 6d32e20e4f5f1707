import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every bench scenario's --quick mode, on tiny data, so the bench never rots: each must exit 0 and write its
 * results file with the machine and commit (and, where the scenario draws one, its chart and summary).
 * Results go to a temporary folder, not bench/results/.
 */
describe('bench --quick', () => {
  it('runs every scenario and writes its results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2y-bench-quick-'));
    // Not spawnSync: minutes of a blocked event loop make vitest's worker miss its own heartbeats.
    const child = spawn('npx', ['tsx', 'bench/run.ts', 'all', '--quick'], { env: { ...process.env, C2Y_BENCH_RESULTS_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let limitsLine = '';
    // Scenarios' fixed last lines, caught as they pass (the output kept for a failure is only its tail).
    const lastLines: string[] = [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-6000);
      limitsLine = /limits: c2y_us_per_row=\S+ e2e_over_bound=\S+ e2e_over_min=\S+/.exec(chunk.toString())?.[0] ?? limitsLine;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      lastLines.push(...lines.filter((line) => /^(latency|wide|startup|scale-out|source-cost): /.test(line)));
      // Each scenario's time, in the suite's log: where this test's minutes go.
      for (const line of lines.filter((l) => /^\[bench\] ===== \S+ took \d+ s =====$/.test(l))) console.log(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6000)));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, output).toBe(0);
    // The limits scenario's fixed last line, with figures (not NaN or Infinity).
    expect(limitsLine).toMatch(/^limits: c2y_us_per_row=\d+\.\d+ e2e_over_bound=\d+\.\d+ e2e_over_min=\d+\.\d+$/);
    expect(output).toMatch(/^keyspace: one_run_s=\d+(\.\d+)? per_table_sum_s=\d+(\.\d+)? ratio=\d+(\.\d+)?$/m);
    // --quick delays the target and both sides (no source-only sweep): its figure is n/a.
    expect(lastLines).toContainEqual(expect.stringMatching(/^latency: rtt_ms=\d+\.\d target_4=\d+\.\d{3} source_4=n\/a both_4=\d+\.\d{3}$/));
    expect(lastLines).toContainEqual(expect.stringMatching(/^wide: events_us_per_row=\d+\.\d\d types_zoo_us_per_row=\d+\.\d\d wide100_us_per_row=\d+\.\d\d$/));
    expect(lastLines).toContainEqual(expect.stringMatching(/^startup: module_ms=\d+ bundle_ms=\d+ ratio=\d+\.\d\d$/));
    // --quick runs 1 and 2 workers: the third's ratio is n/a, not NaN.
    expect(lastLines).toContainEqual(expect.stringMatching(/^scale-out: quota_cores=\d+(\.\d+)? w1=\d+ w2=\d+ ratio2=\d+(\.\d+)? ratio3=n\/a$/));
    expect(lastLines).toContainEqual(expect.stringMatching(/^source-cost: with_token_us_per_row=\d+\.\d\d without_token_us_per_row=\d+\.\d\d saved_share=-?\d+\.\d{3}$/));
    const files = readdirSync(dir);
    for (const scenario of ['limits', 'latency', 'memory', 'peers', 'scale', 'scale-out', 'keyspace', 'wide', 'kill-resume', 'soak', 'startup', 'source-cost']) {
      const json = files.find((file) => file.endsWith(`-${scenario}.json`));
      expect(json, `${scenario}: ${files.join(', ')}`).toBeDefined();
      const results = JSON.parse(readFileSync(join(dir, json as string), 'utf8')) as { scenario: string; commit: string; machine: { cores: number } };
      expect(results.scenario).toBe(scenario);
      expect(results.machine.cores).toBeGreaterThan(0);
      if (!['keyspace', 'wide', 'kill-resume', 'soak', 'startup', 'source-cost'].includes(scenario)) {
        expect(existsSync(join(dir, (json as string).replace(/\.json$/, '.svg'))), `${scenario} chart`).toBe(true);
        expect(existsSync(join(dir, (json as string).replace(/\.json$/, '.md'))), `${scenario} summary`).toBe(true);
      }
    }
  }, 900_000);
});
