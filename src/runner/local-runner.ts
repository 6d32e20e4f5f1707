import { retryDelayMs, runRetryPolicy } from '../errors/index.js';
import { splitToJson, type Split } from '../plan/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { DriverMessage, ExecutorMessage, RunnerTask } from '../task/index.js';
import type { DigestResult } from '../task/index.js';
import type { TaskErrorJson } from '../observe/index.js';
import { forkExecutor, heapMbOf, outOfMemoryError, type ExecutorProcess } from '../task/index.js';
import { LimitsSharer } from './live-limits.js';
import type { Runner, RunnerInput, RunnerOutcome, SplitFailure } from './runner.js';

interface ExecutorState {
  readonly index: number;
  readonly process: ExecutorProcess;
  ready: boolean;
  readonly inFlight: Map<number, { task: RunnerTask; attempt: number; endpoint: TargetEndpoint }>;
  exited: boolean;
}

/** Restarts of crashed executors allowed per run, beyond which the crash is reported instead. */
const MAX_RESPAWNS = 10;

/**
 * The driver side of a local run: `executors` child processes with `--max-old-space-size = executorMemory`,
 * each running up to `cores` splits at once, fed one split at a time as slots free up.
 */
export function runLocal(input: RunnerInput): Promise<RunnerOutcome> {
  const { config, listener, balancer } = input;
  const queue: Array<{ task: RunnerTask; attempt: number }> = input.tasks.map((task) => ({ task, attempt: 1 }));
  const completed: number[] = [];
  const digests = new Map<number, DigestResult>();
  const failed: SplitFailure[] = [];
  const executors: ExecutorState[] = [];
  const heapMb = heapMbOf(config.executorMemory);
  const executorCount = Math.max(1, Math.min(config.executors, input.tasks.length));
  let retries = 0;
  let pendingRetries = 0;
  let nextTaskId = 1;
  let respawns = 0;
  let ranOutOfMemory = false;
  let stopping = false;
  let resolving = false;

  return new Promise((resolve) => {
    const finishIfDone = (): void => {
      const busy = executors.some((e) => !e.exited && e.inFlight.size > 0);
      if ((queue.length === 0 && pendingRetries === 0 && !busy) || (stopping && !busy)) {
        stopping = true;
        if (resolving) return;
        resolving = true;
        for (const executor of executors) if (!executor.exited) send(executor, { type: 'cancel' });
        const waitExit = setInterval(() => {
          if (executors.every((e) => e.exited)) {
            clearInterval(waitExit);
            stopSharing?.();
            resolve({ completed, digests, failed, retries, interrupted: input.signal.aborted, outOfMemory: ranOutOfMemory });
          }
        }, 20);
      }
    };

    const send = (executor: ExecutorState, message: DriverMessage): void => {
      if (!executor.exited && executor.process.child.connected) executor.process.child.send(message);
    };

    const sharer = new LimitsSharer(input.limits, (limits, streams) => {
      for (const executor of executors) if (executor.ready) send(executor, { type: 'limits', limits, streams });
    });
    const shareLimits = (force = false): void => sharer.share(executors.reduce((sum, e) => sum + (e.exited ? 0 : e.inFlight.size), 0), force);
    // A tuned parallelism may let more splits start at once: dispatch, which also shares the limits.
    const stopSharing = input.limits?.onChange(() => dispatch());

    const dispatch = (): void => {
      shareLimits();
      if (stopping) {
        finishIfDone();
        return;
      }
      for (;;) {
        if (queue.length === 0) break;
        const maxStreams = input.limits?.current().maxStreams;
        if (maxStreams !== undefined && executors.reduce((sum, e) => sum + (e.exited ? 0 : e.inFlight.size), 0) >= maxStreams) break;
        const free = executors
          .filter((e) => e.ready && !e.exited && e.inFlight.size < config.cores)
          .sort((a, b) => a.inFlight.size - b.inFlight.size)[0];
        if (!free) break;
        const endpoint = balancer.acquire();
        if (!endpoint) break;
        const next = queue.shift() as { task: RunnerTask; attempt: number };
        const taskId = nextTaskId++;
        free.inFlight.set(taskId, { ...next, endpoint });
        send(free, { type: 'task', taskId, task: next.task, attempt: next.attempt, endpoint });
      }
      shareLimits();
      finishIfDone();
    };

    const failTask = (task: RunnerTask, attempt: number, error: TaskErrorJson, node: string): void => {
      const retryable = error.retryable && !stopping && !ranOutOfMemory;
      if (retryable && attempt <= config.maxRetries) {
        const delayMs = retryDelayMs(runRetryPolicy(config), attempt);
        retries++;
        pendingRetries++;
        listener({ type: 'split-retry', splitId: task.id, attempt: attempt + 1, delayMs, error: error.message, node });
        setTimeout(() => {
          pendingRetries--;
          if (stopping) {
            if (!input.signal.aborted) failed.push({ splitId: task.id, error, attempts: attempt });
          } else queue.push({ task, attempt: attempt + 1 });
          dispatch();
        }, delayMs);
      } else if (!(stopping && error.code === 'INTERRUPTED')) {
        failed.push({ splitId: task.id, error, attempts: attempt });
        listener({ type: 'split-failed', splitId: task.id, error: error.message, code: error.code, node });
        // onError: stop means the run stops at the first value the target cannot hold, not only this split.
        if (error.code === 'VALUE_UNREPRESENTABLE') stopAll();
      }
    };

    const spawnExecutor = (index: number): void => {
      const executorProcess = input.prestarted?.take(heapMb) ?? forkExecutor(heapMb);
      const { child } = executorProcess;
      const state: ExecutorState = { index, process: executorProcess, ready: false, inFlight: new Map(), exited: false };
      executors[index] = state;
      child.on('message', (message: ExecutorMessage) => {
        switch (message.type) {
          case 'ready':
            state.ready = true;
            shareLimits(true);
            dispatch();
            break;
          case 'event':
            listener(message.event);
            break;
          case 'task-done': {
            const task = state.inFlight.get(message.taskId);
            state.inFlight.delete(message.taskId);
            if (task) {
              balancer.release(task.endpoint);
              completed.push(task.task.id);
              if (message.digest) digests.set(task.task.id, message.digest);
            }
            dispatch();
            break;
          }
          case 'task-failed': {
            const task = state.inFlight.get(message.taskId);
            state.inFlight.delete(message.taskId);
            if (task) {
              balancer.release(task.endpoint);
              failTask(task.task, task.attempt, message.error, task.endpoint.key);
            }
            dispatch();
            break;
          }
          case 'fatal':
            for (const { task } of queue.splice(0)) failed.push({ splitId: task.id, error: message.error, attempts: 0 });
            stopping = true;
            break;
        }
      });
      child.on('exit', (code, signal) => {
        state.exited = true;
        const oom = executorProcess.ranOutOfMemory();
        if (oom) ranOutOfMemory = true;
        const expected = stopping && state.inFlight.size === 0;
        listener({ type: 'executor-exited', executor: index, code, signal, expected });
        const lost = [...state.inFlight.values()];
        state.inFlight.clear();
        for (const task of lost) {
          balancer.release(task.endpoint);
          failTask(task.task, task.attempt, oom
            ? outOfMemoryError(`executor ${index}`, heapMb)
            : { code: 'EXECUTOR_CRASHED', message: `executor ${index} exited (code ${code}, signal ${signal}) with task ${task.task.id} in flight: ${executorProcess.stderrTail().trim().split('\n').slice(-3).join(' | ')}`, retryable: true }, task.endpoint.key);
        }
        if (!stopping && !oom && respawns < MAX_RESPAWNS && (queue.length > 0 || pendingRetries > 0)) {
          respawns++;
          spawnExecutor(index);
        } else if (!stopping && executors.every((e) => e.exited)) {
          // No executor left to run the rest: report it rather than wait forever.
          const error: TaskErrorJson = oom
            ? outOfMemoryError('executors', heapMb)
            : { code: 'EXECUTOR_CRASHED', message: `every executor exited; last: code ${code}, signal ${signal}`, retryable: true };
          for (const { task, attempt } of queue.splice(0)) failed.push({ splitId: task.id, error, attempts: attempt });
          stopping = true;
        }
        dispatch();
      });
      send(state, { type: 'init', executor: index, config, runId: input.runId, table: input.table, streams: Math.min(executorCount * config.cores, input.tasks.length), ...(input.tables ? { tables: input.tables } : {}) });
    };

    function stopAll(): void {
      stopping = true;
      queue.length = 0;
      for (const executor of executors) send(executor, { type: 'cancel' });
      finishIfDone();
    }
    input.signal.addEventListener('abort', stopAll, { once: true });

    // Ctrl-C while the run was being planned: the abort fired before anyone listened. Start nothing.
    if (input.signal.aborted) {
      resolve({ completed, digests, failed, retries, interrupted: true, outOfMemory: false });
      return;
    }
    if (input.tasks.length === 0) {
      resolve({ completed, digests, failed, retries, interrupted: false, outOfMemory: ranOutOfMemory });
      return;
    }
    for (let index = 0; index < executorCount; index++) spawnExecutor(index);
    // Executors forked ahead beyond the run's (fewer splits than executors) free their memory now.
    input.prestarted?.stop();
  });
}

/** Migrate's tasks: one copy task per split, named by the split's id. */
/** This machine's executor processes. */
export const localRunner: Runner = { kind: 'local', run: runLocal };

export function copyTasks(splits: readonly Split[]): RunnerTask[] {
  return splits.map((split) => ({ id: split.id, spec: { kind: 'copy', split: splitToJson(split) } }));
}
