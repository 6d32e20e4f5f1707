import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { executorScript } from '../../src/task/executor-process.js';

/** Every module URL a node process given `args` resolves (a resolve hook that prints each one). */
function modulesResolvedRunning(args: readonly string[]): string[] {
  const hook = "export async function resolve(specifier, context, next) { const found = await next(specifier, context); process.stderr.write('LOADED ' + found.url + '\\n'); return found; }";
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, ...args], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr.split('\n').filter((line) => line.startsWith('LOADED ')).map((line) => line.slice('LOADED '.length));
}

/** Every module URL a process resolves while it imports `entry`. */
function modulesLoadedBy(entry: string): string[] {
  return modulesResolvedRunning(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(resolve(entry)).href)}); process.exit(0);`]);
}

describe('an executor starts light', () => {
  it('loads neither the config loader (yaml, zod) nor the progress display (log-update): ~150 ms less CPU per executor', () => {
    const loaded = modulesLoadedBy('dist/task/executor-main.js');
    expect(loaded.some((url) => url.includes('/dist/task/split-task.js'))).toBe(true);
    for (const heavy of ['/node_modules/yaml/', '/node_modules/zod/', '/node_modules/log-update/', '/dist/config/load-config.js', '/dist/observe/progress-display.js', '/dist/observe/run-report.js', '/dist/observe/run-report-text.js']) {
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

/** Files a process read as CommonJS modules once it imported `entry` (the ESM resolve hook does not see require). */
function commonJsLoadedBy(entry: string): string[] {
  const script = `import { createRequire } from 'node:module'; await import(${JSON.stringify(pathToFileURL(resolve(entry)).href)}); process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache))); process.exit(0);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe('the executor\'s bundle', () => {
  it('is what forkExecutor starts after a build, and it reads no other module file: ~0.17 s less CPU per executor', () => {
    const built = { module: resolve('dist/task/executor-main.js'), bundle: resolve('dist/task/executor-main.bundle.mjs') };
    expect(executorScript(built.module, built.bundle), 'run `npm run build` (tsc, then scripts/bundle.mjs)').toBe(built.bundle);
    expect(modulesLoadedBy('dist/task/executor-main.bundle.mjs').filter((url) => url.startsWith('file:'))).toEqual([pathToFileURL(resolve('dist/task/executor-main.bundle.mjs')).href]);
    // One copy of cassandra-driver, inside: the raw page hook patches the parser the sessions run on. A copy required
    // at run time (as createRequire did) would take the hook while every page went through the other.
    expect(commonJsLoadedBy('dist/task/executor-main.bundle.mjs')).toEqual([]);
    expect(commonJsLoadedBy('dist/task/executor-main.js').filter((file) => file.includes('/node_modules/cassandra-driver/')).length).toBeGreaterThan(50);
  });

  it('is taken only while it is not older than the module tsc emitted, else the modules run', () => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-bundle-'));
    const module = join(folder, 'executor-main.js');
    const bundle = join(folder, 'executor-main.bundle.mjs');
    writeFileSync(module, '');
    expect(executorScript(module, bundle)).toBe(module);
    writeFileSync(bundle, '');
    utimesSync(module, 1_000, 1_000);
    utimesSync(bundle, 2_000, 2_000);
    expect(executorScript(module, bundle)).toBe(bundle);
    utimesSync(module, 2_000, 2_000);
    expect(executorScript(module, bundle), 'same time: a package whose files all carry one date').toBe(bundle);
    utimesSync(module, 3_000, 3_000);
    expect(executorScript(module, bundle), 'tsc ran after the bundle').toBe(module);
    rmSync(folder, { recursive: true });
  });
});

describe('the CLI\'s bundle', () => {
  it('is what bin/c2y.js runs after a build: migrate\'s code from dist/bundle/ and no module of dist/cli/ or node_modules', () => {
    const files = modulesResolvedRunning(['bin/c2y.js', 'migrate', '--help']).filter((url) => url.startsWith('file:'));
    const bundle = pathToFileURL(resolve('dist/bundle')).href;
    expect(files.some((url) => url.startsWith(`${bundle}/migrate-command-`)), 'run `npm run build` (tsc, then scripts/bundle.mjs)').toBe(true);
    expect(files.filter((url) => !url.startsWith(`${bundle}/`) && !url.endsWith('/bin/c2y.js'))).toEqual([]);
  });

  it('is taken only while it is not older than dist/cli/main.js, else the modules run', () => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-cli-bundle-'));
    mkdirSync(join(folder, 'bin'));
    mkdirSync(join(folder, 'dist', 'cli'), { recursive: true });
    copyFileSync('bin/c2y.js', join(folder, 'bin', 'c2y.js'));
    writeFileSync(join(folder, 'package.json'), '{"type":"module"}');
    const module = join(folder, 'dist', 'cli', 'main.js');
    const bundle = join(folder, 'dist', 'bundle', 'main.mjs');
    writeFileSync(module, "process.stdout.write('modules');");
    const ran = (): string => spawnSync(process.execPath, [join(folder, 'bin', 'c2y.js')], { encoding: 'utf8' }).stdout;
    expect(ran(), 'no bundle').toBe('modules');
    mkdirSync(join(folder, 'dist', 'bundle'));
    writeFileSync(bundle, "process.stdout.write('bundle');");
    utimesSync(module, 1_000, 1_000);
    utimesSync(bundle, 2_000, 2_000);
    expect(ran()).toBe('bundle');
    utimesSync(module, 2_000, 2_000);
    expect(ran(), 'same time: a package whose files all carry one date').toBe('bundle');
    utimesSync(module, 3_000, 3_000);
    expect(ran(), 'tsc ran after the bundle').toBe('modules');
    rmSync(folder, { recursive: true });
  });
});

describe('the driver\'s Astra cloud support, left out of both bundles', () => {
  it('is neither compiled nor loaded (adm-zip, Node\'s https) by an executor or the CLI', () => {
    const bundles = ['dist/task/executor-main.bundle.mjs', ...readdirSync('dist/bundle').filter((name) => name.endsWith('.mjs')).map((name) => `dist/bundle/${name}`)];
    for (const file of bundles) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes('node_modules/adm-zip/'), file).toBe(false);
      const driverInside = text.includes('node_modules/cassandra-driver/lib/client.js');
      expect(text.includes("Astra secure connect bundles (the driver's cloud option) are not supported"), `${file}: the stand-in wherever the driver is`).toBe(driverInside);
    }
    for (const entry of ['dist/task/executor-main.bundle.mjs', 'dist/bundle/main.mjs']) expect(builtinsLoadedBy(entry).filter((name) => name === 'https'), entry).toEqual([]);
  });

  it('refuses a cloud option rather than ignore it, and lets every other client connect', async () => {
    const standIn = createRequire(import.meta.url)('../../scripts/driver-cloud-stand-in.cjs') as { init(options: object): Promise<void>; checkServerIdentity(): void };
    await expect(standIn.init({ contactPoints: ['127.0.0.1'] })).resolves.toBeUndefined();
    await expect(standIn.init({ cloud: { secureConnectBundle: 'bundle.zip' } })).rejects.toThrow(/secure connect bundles .* are not supported: give the contact points/);
    expect(() => standIn.checkServerIdentity()).toThrow(/not supported/);
  });
});
