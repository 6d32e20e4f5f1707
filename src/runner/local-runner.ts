import { retryDelayMs, runRetryPolicy } from '../errors/index.js';
import { splitToJson, type Split } from '../plan/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { DriverMessage, ExecutorMessage, RunnerTask } from '../task/index.js';
import type { DigestResult } from '../task/index.js';
import type { TaskErrorJson } from '../observe/index.js';
import { forkExecutor, heapMbOf, outOfMemoryError, type ExecutorProcess } from '../task/index.js';
import { LimitsSharer } from './live-limits.js';
import type { Runner, RunnerInput, RunnerOutcome, SplitFailure } from './runner.js';

interface InFlightTask {
  readonly task: RunnerTask;
  readonly attempt: number;
  readonly endpoint: TargetEndpoint;
}

/** A split to start: its attempt, and after a failed one, the node it last ran against. */
interface QueuedTask {
  readonly task: RunnerTask;
  readonly attempt: number;
  readonly node?: string;
}

interface WaitingRetry {
  readonly task: RunnerTask;
  readonly attempt: number;
  readonly error: TaskErrorJson;
  readonly node: string;
}

interface ExecutorState {
  readonly index: number;
  readonly process: ExecutorProcess;
  ready: boolean;
  readonly inFlight: Map<number, InFlightTask>;
  exited: boolean;
}

/** Restarts of crashed executors allowed per run, beyond which the crash is reported instead. */
const MAX_RESPAWNS = 10;

/**
 * The driver side of a local run: `executors` child processes with `--max-old-space-size = executorMemory`,
 * each running up to `cores` splits at once, fed one split at a time as slots free up.
 */
export function runLocal(input: RunnerInput): Promise<RunnerOutcome> {
  return new Promise((resolve) => new LocalRun(input, resolve).start());
}

/** One local run's bookkeeping: the queue of tasks, the executors and what each has in flight. */
class LocalRun {
  private readonly queue: QueuedTask[];
  private readonly completed: number[] = [];
  private readonly digests = new Map<number, DigestResult>();
  private readonly failed: SplitFailure[] = [];
  private readonly executors: ExecutorState[] = [];
  private readonly heapMb: number;
  private readonly executorCount: number;
  private readonly sharer: LimitsSharer;
  private stopSharing: (() => void) | undefined;
  private retries = 0;
  private pendingRetries = 0;
  /** Splits waiting out a retry's backoff, by their timer: a run that stops settles them (settleWaitingRetries). */
  private readonly waitingRetries = new Map<ReturnType<typeof setTimeout>, WaitingRetry>();
  private nextTaskId = 1;
  private respawns = 0;
  private ranOutOfMemory = false;
  private stopping = false;
  private resolving = false;

  constructor(private readonly input: RunnerInput, private readonly resolve: (outcome: RunnerOutcome) => void) {
    this.queue = input.tasks.map((task) => ({ task, attempt: 1 }));
    this.heapMb = heapMbOf(input.config.executorMemory);
    this.executorCount = Math.max(1, Math.min(input.config.executors, input.tasks.length));
    this.sharer = new LimitsSharer(input.limits, (limits, streams) => {
      for (const executor of this.executors) if (executor.ready) this.send(executor, { type: 'limits', limits, streams });
    });
  }

  start(): void {
    const { input } = this;
    // A tuned parallelism may let more splits start at once: dispatch, which also shares the limits.
    this.stopSharing = input.limits?.onChange(() => this.dispatch());
    input.signal.addEventListener('abort', () => this.stopAll(), { once: true });
    // Ctrl-C while the run was being planned: the abort fired before anyone listened. Start nothing.
    if (input.signal.aborted || input.tasks.length === 0) {
      this.stopSharing?.();
      this.resolve(this.outcome());
      return;
    }
    for (let index = 0; index < this.executorCount; index++) this.spawnExecutor(index);
    // Executors forked ahead beyond the run's (fewer splits than executors) free their memory now.
    input.prestarted?.stop();
  }

  private outcome(): RunnerOutcome {
    return { completed: this.completed, digests: this.digests, failed: this.failed, retries: this.retries, interrupted: this.input.signal.aborted, outOfMemory: this.ranOutOfMemory };
  }

  private streamsInFlight(): number {
    return this.executors.reduce((sum, e) => sum + (e.exited ? 0 : e.inFlight.size), 0);
  }

  private finishIfDone(): void {
    const busy = this.executors.some((e) => !e.exited && e.inFlight.size > 0);
    if (!((this.queue.length === 0 && this.pendingRetries === 0 && !busy) || (this.stopping && !busy))) return;
    this.stopping = true;
    if (this.resolving) return;
    this.resolving = true;
    this.settleWaitingRetries();
    for (const executor of this.executors) if (!executor.exited) this.send(executor, { type: 'cancel' });
    const waitExit = setInterval(() => {
      if (!this.executors.every((e) => e.exited)) return;
      clearInterval(waitExit);
      this.stopSharing?.();
      this.resolve(this.outcome());
    }, 20);
  }

  private send(executor: ExecutorState, message: DriverMessage): void {
    if (!executor.exited && executor.process.child.connected) executor.process.child.send(message);
  }

  private shareLimits(force = false): void {
    this.sharer.share(this.streamsInFlight(), force);
  }

  private dispatch(): void {
    this.shareLimits();
    if (this.stopping) {
      this.finishIfDone();
      return;
    }
    while (this.queue.length > 0 && this.startNext()) { /* started one more */ }
    this.shareLimits();
    this.finishIfDone();
  }

  /** Starts the queue's next task on the least busy ready executor, if the limits, a slot and a target allow. */
  private startNext(): boolean {
    const maxStreams = this.input.limits?.current().maxStreams;
    if (maxStreams !== undefined && this.streamsInFlight() >= maxStreams) return false;
    const free = this.executors
      .filter((e) => e.ready && !e.exited && e.inFlight.size < this.input.config.cores)
      .sort((a, b) => a.inFlight.size - b.inFlight.size)[0];
    if (!free) return false;
    const endpoint = this.input.balancer.acquire();
    if (!endpoint) return false;
    const next = this.queue.shift() as QueuedTask;
    const taskId = this.nextTaskId++;
    free.inFlight.set(taskId, { ...next, endpoint });
    this.send(free, { type: 'task', taskId, task: next.task, attempt: next.attempt, endpoint });
    return true;
  }

  private failTask(task: RunnerTask, attempt: number, error: TaskErrorJson, node: string): void {
    const retryable = error.retryable && !this.stopping && !this.ranOutOfMemory;
    if (retryable && attempt <= this.input.config.maxRetries) {
      this.retryLater(task, attempt, error, node);
    } else if (!(this.stopping && error.code === 'INTERRUPTED')) {
      this.recordFailure(task, error, attempt, node);
      // onError: stop means the run stops at the first value the target cannot hold, not only this split.
      if (error.code === 'VALUE_UNREPRESENTABLE') this.stopAll();
    }
  }

  /**
   * A split that ends failed, however it got there (its task failed, the run stopped while it waited for a retry or
   * a free executor): in the outcome, and said at once, so the progress line and dashboard count it as failed rather
   * than leave it shown retrying or pending until the report. `node`: where it last ran ('' if it never started).
   */
  private recordFailure(task: RunnerTask, error: TaskErrorJson, attempts: number, node: string): void {
    this.failed.push({ splitId: task.id, error, attempts });
    this.input.listener({ type: 'split-failed', splitId: task.id, error: error.message, code: error.code, node });
  }

  private retryLater(task: RunnerTask, attempt: number, error: TaskErrorJson, node: string): void {
    const delayMs = retryDelayMs(runRetryPolicy(this.input.config), attempt);
    this.retries++;
    this.pendingRetries++;
    this.input.listener({ type: 'split-retry', splitId: task.id, attempt: attempt + 1, delayMs, error: error.message, node });
    const timer = setTimeout(() => {
      this.waitingRetries.delete(timer);
      this.pendingRetries--;
      if (this.stopping) {
        if (!this.input.signal.aborted) this.recordFailure(task, error, attempt, node);
      } else this.queue.push({ task, attempt: attempt + 1, node });
      this.dispatch();
    }, delayMs);
    this.waitingRetries.set(timer, { task, attempt, error, node });
  }

  /**
   * The run stops while splits wait out a retry's backoff (every executor gone past its respawns, or onError: stop):
   * each is failed now with its last error, unless the user interrupted the run (then it is simply not done). Left
   * to their timers, they fired after the run had ended: neither done nor failed, the run ended RING_NOT_COVERED
   * without its report (executor-crash.test, 2026-12-07).
   */
  private settleWaitingRetries(): void {
    for (const [timer, waiting] of this.waitingRetries) {
      clearTimeout(timer);
      this.pendingRetries--;
      if (!this.input.signal.aborted) this.recordFailure(waiting.task, waiting.error, waiting.attempt, waiting.node);
    }
    this.waitingRetries.clear();
  }

  private spawnExecutor(index: number): void {
    const { input } = this;
    const executorProcess = input.prestarted?.take(this.heapMb) ?? forkExecutor(this.heapMb);
    const state: ExecutorState = { index, process: executorProcess, ready: false, inFlight: new Map(), exited: false };
    this.executors[index] = state;
    executorProcess.child.on('message', (message: ExecutorMessage) => this.onMessage(state, message));
    executorProcess.child.on('exit', (code, signal) => this.onExit(state, code, signal));
    this.send(state, {
      type: 'init', executor: index, config: input.config, runId: input.runId, table: input.table,
      streams: Math.min(this.executorCount * input.config.cores, input.tasks.length), ...(input.tables ? { tables: input.tables } : {}),
    });
  }

  private onMessage(state: ExecutorState, message: ExecutorMessage): void {
    switch (message.type) {
      case 'ready':
        state.ready = true;
        this.shareLimits(true);
        this.dispatch();
        break;
      case 'event':
        this.input.listener(message.event);
        break;
      case 'task-done':
        this.onTaskEnded(state, message.taskId, (task) => {
          this.completed.push(task.task.id);
          if (message.digest) this.digests.set(task.task.id, message.digest);
        });
        break;
      case 'task-failed':
        this.onTaskEnded(state, message.taskId, (task) => this.failTask(task.task, task.attempt, message.error, task.endpoint.key));
        break;
      case 'fatal':
        for (const { task, attempt, node } of this.queue.splice(0)) this.recordFailure(task, message.error, attempt - 1, node ?? '');
        this.stopping = true;
        break;
    }
  }

  /** A task's end, done or failed: its target slot is given back before `then` runs, and the queue moves on. */
  private onTaskEnded(state: ExecutorState, taskId: number, then: (task: InFlightTask) => void): void {
    const task = state.inFlight.get(taskId);
    state.inFlight.delete(taskId);
    if (task) {
      this.input.balancer.release(task.endpoint);
      then(task);
    }
    this.dispatch();
  }

  private onExit(state: ExecutorState, code: number | null, signal: NodeJS.Signals | null): void {
    state.exited = true;
    const oom = state.process.ranOutOfMemory();
    if (oom) this.ranOutOfMemory = true;
    const expected = this.stopping && state.inFlight.size === 0;
    this.input.listener({ type: 'executor-exited', executor: state.index, code, signal, expected });
    const lost = [...state.inFlight.values()];
    state.inFlight.clear();
    for (const task of lost) {
      this.input.balancer.release(task.endpoint);
      const error: TaskErrorJson = oom
        ? outOfMemoryError(`executor ${state.index}`, this.heapMb)
        : { code: 'EXECUTOR_CRASHED', message: `executor ${state.index} exited (code ${code}, signal ${signal}) with task ${task.task.id} in flight: ${state.process.stderrTail().trim().split('\n').slice(-3).join(' | ')}`, retryable: true };
      this.failTask(task.task, task.attempt, error, task.endpoint.key);
    }
    if (!this.stopping && !oom && this.respawns < MAX_RESPAWNS && (this.queue.length > 0 || this.pendingRetries > 0)) {
      this.respawns++;
      this.spawnExecutor(state.index);
    } else if (!this.stopping && this.executors.every((e) => e.exited)) {
      this.failQueued(oom, code, signal);
    }
    this.dispatch();
  }

  /** No executor left to run the rest: report it rather than wait forever. */
  private failQueued(oom: boolean, code: number | null, signal: NodeJS.Signals | null): void {
    const error: TaskErrorJson = oom
      ? outOfMemoryError('executors', this.heapMb)
      : { code: 'EXECUTOR_CRASHED', message: `every executor exited; last: code ${code}, signal ${signal}`, retryable: true };
    for (const { task, attempt, node } of this.queue.splice(0)) this.recordFailure(task, error, attempt - 1, node ?? '');
    this.stopping = true;
  }

  private stopAll(): void {
    this.stopping = true;
    this.queue.length = 0;
    for (const executor of this.executors) this.send(executor, { type: 'cancel' });
    this.finishIfDone();
  }
}

/** This machine's executor processes. */
export const localRunner: Runner = { kind: 'local', run: runLocal };

/** Migrate's tasks: one copy task per split, named by the split's id. */
export function copyTasks(splits: readonly Split[]): RunnerTask[] {
  return splits.map((split) => ({ id: split.id, spec: { kind: 'copy', split: splitToJson(split) } }));
}
