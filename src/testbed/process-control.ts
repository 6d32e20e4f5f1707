import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { TestbedError } from './testbed-error.js';
import { sleep } from './tcp-probe.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid recorded in pidFile if that process still runs; a stale file is removed. */
export function livePid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  if (pid !== undefined && isAlive(pid)) return pid;
  if (pid !== undefined) rmSync(pidFile, { force: true });
  return undefined;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'stopped';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

export function lastLines(path: string, count: number): string {
  if (!existsSync(path)) return '(no log written)';
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}

/** Fails fast with a fix when a command the test bed needs is not installed. */
export function requireCommand(command: string, versionArgs: string[], code: 'JAVA_MISSING' | 'MAVEN_MISSING', fix: string): void {
  const probe = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new TestbedError(code, `${command} is not available (${probe.error?.message ?? `exit ${probe.status}`})`, { hint: fix });
  }
}
