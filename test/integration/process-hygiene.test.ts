import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { EXIT } from '../../src/errors/index.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, spawnC2y, type CliResult } from '../helpers/run-cli.js';

let fx: MigrateFixture;

beforeAll(async () => {
  fx = await migrateFixture(200, 'hygiene');
}, 180_000);
afterAll(async () => {
  await fx?.close();
});

/** Runs c2y and requires it to exit on its own within `seconds`: a leftover connection would keep it alive. */
async function exitsWithin(args: readonly string[], seconds: number, env: Record<string, string> = {}): Promise<CliResult> {
  const run = spawnC2y(args, env);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(run.child);
      reject(new Error(`c2y ${args.slice(0, 2).join(' ')} still running after ${seconds} s: ${run.stderrSoFar().slice(-800)}`));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([run.result, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pids of every running executor process (dist/task/executor-main.js, or its bundle) on this machine. */
function executorPids(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('task/executor-main.');
    } catch {
      return false;
    }
  }).map(Number);
}

/** The fixture's arguments with `command` in place of migrate. */
function argsFor(command: string, targetTable: string, extra: readonly string[] = []): string[] {
  return [command, ...fx.args(targetTable, extra).slice(1)];
}

const UNREACHABLE_SOURCE = ['--contact-points', '127.0.0.1:1'];
const UNREACHABLE_TARGET = ['--target-hosts', '127.0.0.1:1'];
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

describe('every command exits, with the "cannot connect" code, when an endpoint is unreachable', () => {
  for (const command of ['migrate', 'plan', 'validate', 'schema']) {
    for (const [side, flags, code] of [['source', UNREACHABLE_SOURCE, 'SOURCE_UNREACHABLE'], ['target', UNREACHABLE_TARGET, 'TARGET_UNREACHABLE']] as const) {
      it(`${command} with the ${side} unreachable`, async () => {
        // schema prints DDL, not a report: it has no --json.
        const json = command === 'schema' ? [] : ['--json'];
        const result = await exitsWithin([...argsFor(command, `hyg_${command}_${side}`), ...flags, '--ui-port', '0', ...json], 30);
        expect(result.code, result.stderr.slice(-800)).toBe(EXIT.connect);
        if (command === 'schema') {
          expect(result.stderr).toContain(code);
          return;
        }
        const error = JSON.parse(result.stderr.trim().split('\n').pop() ?? '{}') as { error?: { code?: string; exitCode?: number; hint?: string } };
        expect(error.error?.code).toBe(code);
        expect(error.error?.exitCode).toBe(EXIT.connect);
        expect(error.error?.hint).toBeTruthy();
      }, 60_000);
    }
  }

  it('migrate refused while it plans stops the executors it forked ahead: none is left running', async () => {
    const before = new Set(executorPids());
    const result = await exitsWithin([...argsFor('migrate', 'hyg_ahead'), ...UNREACHABLE_TARGET, '--executors', '3', '--parallelism', '3', '--ui-port', '0'], 30);
    expect(result.code, result.stderr.slice(-800)).toBe(EXIT.connect);
    // SIGTERM reaches them as the driver gives up; give them a moment to go.
    const deadline = Date.now() + 5000;
    let strays = executorPids().filter((pid) => !before.has(pid));
    while (strays.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      strays = executorPids().filter((pid) => !before.has(pid));
    }
    expect(strays).toEqual([]);
  }, 60_000);

  it('migrate --distributed with Redis unreachable: the target connection it opened is closed, and it exits', async () => {
    const result = await exitsWithin(argsFor('migrate', 'hyg_dist', ['--distributed', '--redis', UNREACHABLE_REDIS, '--ui-port', '0']), 40, { C2Y_RUN_KEY: 'hygiene-test-run-key-0123456789' });
    expect(result.code, result.stderr.slice(-800)).toBe(EXIT.connect);
    expect(result.stderr).toContain('REDIS_UNREACHABLE');
  }, 60_000);

  it('status and worker with Redis unreachable', async () => {
    const status = await exitsWithin(['status', '--redis', UNREACHABLE_REDIS], 30);
    expect(status.code).toBe(EXIT.connect);
    const worker = await exitsWithin(['worker', '--redis', UNREACHABLE_REDIS, '--allow-source', '127.0.0.1', '--allow-target', '127.0.0.1'], 30, { C2Y_RUN_KEY: 'hygiene-test-run-key-0123456789' });
    expect(worker.code).toBe(EXIT.connect);
  }, 90_000);

  it('bad usage and bad configuration exit 2, with a JSON error under --json', async () => {
    const unknownFlag = await exitsWithin(['migrate', '--no-such-flag'], 15);
    expect(unknownFlag.code).toBe(EXIT.usage);
    const badValue = await exitsWithin([...argsFor('migrate', 'hyg_bad', ['--parallelism', 'lots']), '--json'], 15);
    expect(badValue.code).toBe(EXIT.usage);
    expect((JSON.parse(badValue.stderr.trim().split('\n').pop() ?? '{}') as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
  }, 60_000);
});

describe('c2y init', () => {
  it('checks both ends, then writes a commented config that loads and names them; an unreachable end writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2y-init-'));
    const out = join(dir, 'c2y.yaml');
    const args = argsFor('init', 'init_target', ['--out', out]);
    const result = await exitsWithin(args, 60);
    expect(result.code, result.stderr.slice(-800)).toBe(EXIT.done);
    expect(result.stdout).toMatch(/checked \S+\.events \(\d+ columns\)/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('# password: …');
    const { config } = loadConfig({ file: out });
    expect(config.source).toMatchObject({ keyspace: fx.keyspace, table: 'events', contactPoints: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] });
    expect(config.target).toMatchObject({ hosts: fx.db.hosts, database: fx.db.database, table: 'init_target' });
    const again = await exitsWithin(args, 30);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toContain('--force');
    const unreachable = join(dir, 'never.yaml');
    const refused = await exitsWithin([...argsFor('init', 'init_target', ['--out', unreachable]), ...UNREACHABLE_TARGET], 30);
    expect(refused.code).toBe(EXIT.connect);
    expect(existsSync(unreachable)).toBe(false);
  }, 120_000);
});
