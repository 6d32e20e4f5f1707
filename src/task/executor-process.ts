import { fork, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { oldSpaceFloorMib, SEMI_SPACE_MIB } from '../plan/index.js';
import type { TaskErrorJson } from '../observe/index.js';
import { EXPOSE_GC_FLAG } from './old-space-bound.js';

// From the CLI's bundle too (dist/bundle/, as deep as dist/task/): a path through the parent folder resolves from both.
const EXECUTOR_MODULE = fileURLToPath(new URL('../task/executor-main.js', import.meta.url));
/** The executor and what it imports in one file (scripts/bundle.mjs): ~1/4 of the import CPU at each start. */
const EXECUTOR_BUNDLE = fileURLToPath(new URL('../task/executor-main.bundle.mjs', import.meta.url));

/**
 * The bundle when the build made it from the modules as they are (tsc rewrites every module it emits, so a later tsc
 * alone leaves the bundle older, and stale: then the modules run, never old code); else the module.
 */
export function executorScript(module = EXECUTOR_MODULE, bundle = EXECUTOR_BUNDLE): string {
  try {
    return statSync(bundle).mtimeMs >= statSync(module).mtimeMs ? bundle : module;
  } catch {
    return module;
  }
}

/** An executor child process and the tail of what it printed on stderr (a crash's last words). */
export interface ExecutorProcess {
  readonly child: ChildProcess;
  stderrTail(): string;
  /** Whether its stderr says V8 ran out of heap. */
  ranOutOfMemory(): boolean;
}

/**
 * One executor: a Node process whose heap is the executor's memory, talking the executor protocol over IPC.
 * Local runs and `c2y worker` start executors the same way.
 */
export function forkExecutor(heapMb: number): ExecutorProcess {
  const child = fork(executorScript(), [], {
    execArgv: executorNodeArgs(heapMb),
    env: executorEnvironment(),
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  // A message sent while the executor exits (a cancel racing its own exit after Ctrl-C) fails on the closed channel,
  // and ChildProcess reports that as an 'error' event: unheard, it would end the driver with an uncaught exception
  // (exit 1) instead of the run's interrupted report. The exit handler already deals with what the executor held.
  child.on('error', (error) => {
    tail = `${tail}\n[c2y] executor channel: ${error.message}`.slice(-4000);
  });
  return {
    child,
    stderrTail: () => tail,
    ranOutOfMemory: () => /heap limit|out of memory/i.test(tail),
  };
}

/**
 * The executor's Node flags: its heap from the plan, a young generation of one size, and gc() for its old-space bound
 * (old-space-bound.ts). C2Y_EXECUTOR_NODE_ARGS adds flags for diagnosis (e.g. --cpu-prof), which NODE_OPTIONS refuses.
 */
export function executorNodeArgs(heapMb: number, extra = process.env.C2Y_EXECUTOR_NODE_ARGS ?? ''): string[] {
  return [
    `--max-old-space-size=${heapMb}`, `--min-semi-space-size=${SEMI_SPACE_MIB}`, `--max-semi-space-size=${SEMI_SPACE_MIB}`,
    `--initial-old-space-size=${oldSpaceFloorMib(heapMb)}`, EXPOSE_GC_FLAG, ...extra.split(' ').filter(Boolean),
  ];
}

/**
 * The executor's environment: the driver's, with one glibc malloc arena (MALLOC_ARENA_MAX=1) unless it names a count.
 * glibc gives each thread that allocates (V8's GC helpers, libuv's pool) an arena of its own, whose freed memory stays
 * resident; with one, an executor's RSS rose less over a long run (10M-row runs, 2026-12-05: peaks 88.0–93.8 MiB
 * against 94.1–100.1 with the default, rows/s and executor CPU within the runs' spread). The JS thread does nearly
 * all the allocating, so the arena is not fought over.
 */
export function executorEnvironment(environment: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...environment, MALLOC_ARENA_MAX: environment['MALLOC_ARENA_MAX'] ?? '1' };
}

/** Not exited and still reachable over IPC: an executor forked ahead may be handed to a run. */
export function executorAlive(executor: ExecutorProcess): boolean {
  return executor.child.exitCode === null && executor.child.signalCode === null && executor.child.connected;
}

/** Heap megabytes for an executor memory in bytes (never under 4, which V8 would refuse). */
export function heapMbOf(executorMemoryBytes: number): number {
  return Math.max(4, Math.floor(executorMemoryBytes / (1024 * 1024)));
}

export function outOfMemoryError(who: string, heapMb: number): TaskErrorJson {
  return { code: 'EXECUTOR_OUT_OF_MEMORY', message: `${who} ran out of the ${heapMb} MiB heap`, hint: 'raise executorMemory (spark.executor.memory), lower cores, or lower copyBufferBytes', retryable: false };
}
