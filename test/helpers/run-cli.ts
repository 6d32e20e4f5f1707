import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const C2Y_BIN = resolve('bin/c2y.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every c2y this test file started that has not ended yet (killed by killStrays). */
const running = new Set<ChildProcess>();

/** Starts `c2y …` in its own process group, so a test can kill the driver and every executor at once. */
export function spawnC2y(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; result: Promise<CliResult>; stdoutSoFar: () => string; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [C2Y_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  running.add(child);
  const result = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return { child, result, stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
}

export function runC2y(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return spawnC2y(args, env).result;
}

/** kill -9 of the whole process group: driver and executors die at the same instant. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Kills every c2y still running from this file. A test that times out leaves its c2y running in its own process
 * group, and a stray live apply goes on reading (and releasing) a shared CDC node's segments under later tests.
 */
export function killStrays(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

