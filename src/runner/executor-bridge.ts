import type { C2yConfig } from '../config/index.js';
import type { RunEvent, TaskErrorJson } from '../observe/index.js';
import type { SourceTable } from '../schema/index.js';
import type { TargetEndpoint } from '../sink/index.js';
// Not run/index.js: migrate (there) starts distributed runs, so the door would make a cycle.
import { forkExecutor, heapMbOf, outOfMemoryError, type ExecutorProcess } from '../task/index.js';
import type { DriverMessage, ExecutorMessage, RunnerTask, TableJob } from '../task/index.js';
import type { PageAmounts, RunLimits } from '../task/index.js';

/** A task's failure as the executor reported it: typed, with whether a retry may help. */
export class TaskFailure extends Error {
  constructor(readonly error: TaskErrorJson) {
    super(`${error.code}: ${error.message}`);
  }
}

export interface ExecutorBridgeOptions {
  readonly executor: number;
  readonly executorMemory: number;
  readonly config: C2yConfig;
  readonly runId: string;
  readonly table: SourceTable;
  /** A keyspace run's other tables. */
  readonly tables?: readonly TableJob[];
  /** The run's global concurrency: its rate limits are shared over this many streams. */
  readonly streams: number;
  readonly onEvent: (event: RunEvent) => void;
  /** Takes a stream's page from the run's buckets: how long (ms) it waits before its next page. */
  readonly pace: (page: PageAmounts) => Promise<number>;
  /** An executor forked before the run with this heap, if the worker has one waiting (see SpareExecutor). */
  readonly spare?: (heapMb: number) => ExecutorProcess | undefined;
}

interface Pending {
  readonly resolve: (rows: number) => void;
  readonly reject: (error: TaskFailure) => void;
}

/**
 * A worker's executor: the same child process and protocol a local run uses, fed tasks by BullMQ jobs instead of
 * the local scheduler. Started on first use and again after a crash.
 */
export class ExecutorBridge {
  private process: ExecutorProcess | undefined;
  private starting: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextTaskId = 1;
  /** The limits last published by the run's driver, once they differ from its config's. */
  private limits: RunLimits | undefined;
  private exited = Promise.resolve();
  readonly heapMb: number;

  constructor(private readonly options: ExecutorBridgeOptions) {
    this.heapMb = heapMbOf(options.executorMemory);
  }

  /** Starts the executor if it is not running; rejects when it cannot start (e.g. Cassandra unreachable). */
  ensureStarted(): Promise<void> {
    if (this.process && this.process.child.exitCode === null && this.process.child.signalCode === null && !this.starting) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private start(): Promise<void> {
    const executorProcess = this.options.spare?.(this.heapMb) ?? forkExecutor(this.heapMb);
    this.process = executorProcess;
    const { child } = executorProcess;
    return new Promise((resolve, reject) => {
      let ready = false;
      this.exited = new Promise((exited) => child.once('exit', () => exited()));
      child.on('message', (message: ExecutorMessage) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            // An executor started again (after a crash) begins with the config's limits: it gets the tuned ones.
            if (this.limits) this.setLimits(this.limits);
            resolve();
            break;
          case 'event':
            this.options.onEvent(message.event);
            break;
          case 'task-done':
            this.settle(message.taskId)?.resolve(message.rows);
            break;
          case 'task-failed':
            this.settle(message.taskId)?.reject(new TaskFailure(message.error));
            break;
          case 'fatal':
            if (!ready) reject(new TaskFailure(message.error));
            break;
          case 'pace':
            void this.options.pace(message.page).then((waitMs) => this.send({ type: 'paced', requestId: message.requestId, waitMs }));
            break;
        }
      });
      child.on('exit', (code, signal) => {
        const oom = executorProcess.ranOutOfMemory();
        if (!ready) reject(new TaskFailure({ code: 'EXECUTOR_CRASHED', message: `the executor exited while starting (code ${code}, signal ${signal}): ${executorProcess.stderrTail().trim().split('\n').slice(-3).join(' | ')}`, retryable: true }));
        this.options.onEvent({ type: 'executor-exited', executor: this.options.executor, code, signal, expected: this.pending.size === 0 });
        const error: TaskErrorJson = oom
          ? outOfMemoryError(`executor ${this.options.executor}`, this.heapMb)
          : { code: 'EXECUTOR_CRASHED', message: `executor ${this.options.executor} exited (code ${code}, signal ${signal}) with the task in flight: ${executorProcess.stderrTail().trim().split('\n').slice(-3).join(' | ')}`, retryable: true };
        for (const [taskId, pending] of [...this.pending]) {
          this.pending.delete(taskId);
          pending.reject(new TaskFailure(error));
        }
      });
      this.send({ type: 'init', executor: this.options.executor, config: this.options.config, runId: this.options.runId, table: this.options.table, streams: this.options.streams, sharedPace: true, ...(this.options.tables ? { tables: this.options.tables } : {}) });
    });
  }

  private settle(taskId: number): Pending | undefined {
    const pending = this.pending.get(taskId);
    this.pending.delete(taskId);
    return pending;
  }

  private send(message: DriverMessage): void {
    const child = this.process?.child;
    if (child?.connected) child.send(message);
  }

  /** Runs one task on the executor: its rows, or a TaskFailure. `abort` interrupts this task alone. */
  async run(task: RunnerTask, attempt: number, endpoint: TargetEndpoint, abort?: AbortSignal): Promise<number> {
    await this.ensureStarted();
    const taskId = this.nextTaskId++;
    const onAbort = (): void => this.send({ type: 'cancel-task', taskId });
    abort?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<number>((resolve, reject) => {
        this.pending.set(taskId, { resolve, reject });
        this.send({ type: 'task', taskId, task, attempt, endpoint });
        if (abort?.aborted) onAbort();
      });
    } finally {
      abort?.removeEventListener('abort', onAbort);
    }
  }

  /** The run's limits changed (its driver published a `c2y tune`): every stream follows from its next page. */
  setLimits(limits: RunLimits): void {
    this.limits = limits;
    this.send({ type: 'limits', limits, streams: this.options.streams });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Interrupts every task (each fails with INTERRUPTED, its transaction rolled back) and waits for the executor to exit. */
  async stop(): Promise<void> {
    if (!this.process || this.process.child.exitCode !== null || this.process.child.signalCode !== null) return;
    this.send({ type: 'cancel' });
    const killer = setTimeout(() => this.process?.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(killer);
  }
}
