import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every module URL a process resolves while it imports `entry` (a resolve hook that prints each one). */
function modulesLoadedBy(entry: string): string[] {
  const hook = "export async function resolve(specifier, context, next) { const found = await next(specifier, context); process.stderr.write('LOADED ' + found.url + '\\n'); return found; }";
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(resolve(entry)).href)}); process.exit(0);`], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr.split('\n').filter((line) => line.startsWith('LOADED ')).map((line) => line.slice('LOADED '.length));
}

describe('an executor starts light', () => {
  it('loads neither the config loader (yaml, zod) nor the progress display (log-update): ~150 ms less CPU per executor', () => {
    const loaded = modulesLoadedBy('dist/task/executor-main.js');
    expect(loaded.some((url) => url.includes('/dist/task/split-task.js'))).toBe(true);
    for (const heavy of ['/node_modules/yaml/', '/node_modules/zod/', '/node_modules/log-update/', '/dist/config/load-config.js', '/dist/observe/progress-display.js', '/dist/observe/run-report.js']) {
      expect(loaded.filter((url) => url.includes(heavy)), heavy).toEqual([]);
    }
  });
});

describe('a local run\'s driver starts light', () => {
  it('loads no queue library (BullMQ, ioredis) until a run touches Redis: ~0.1 s less CPU per local run', () => {
    const loaded = modulesLoadedBy('dist/cli/migrate-command.js');
    expect(loaded.some((url) => url.includes('/dist/runner/distributed-runner.js'))).toBe(true);
    for (const heavy of ['/node_modules/bullmq/', '/node_modules/ioredis/']) expect(loaded.filter((url) => url.includes(heavy)), heavy).toEqual([]);
  });
});

/** Node's own modules a process loaded once it imported `entry`. */
function builtinsLoadedBy(entry: string): string[] {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(resolve(entry)).href)}); process.stdout.write(JSON.stringify(process.moduleLoadList)); process.exit(0);`], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as string[]).filter((name) => name.startsWith('NativeModule ')).map((name) => name.slice('NativeModule '.length));
}

describe('importing pg', () => {
  it('does not load Node\'s fetch stack (undici) in an executor or the driver: ~35 ms less CPU per process', () => {
    for (const entry of ['dist/task/executor-main.js', 'dist/cli/main.js']) {
      const loaded = builtinsLoadedBy(entry);
      expect(loaded.some((name) => name === 'net'), entry).toBe(true);
      expect(loaded.filter((name) => name.includes('undici')), entry).toEqual([]);
    }
  });
});
