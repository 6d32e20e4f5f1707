import type { PrestartedExecutors } from './prestarted-executors.js';
import type { C2yConfig } from '../config/index.js';
import type { Logger, RunListener, TaskErrorJson } from '../observe/index.js';
import type { SourceTable } from '../schema/index.js';
import type { ConnectionBalancer } from '../sink/index.js';
import type { DigestResult, RunnerTask, TableJob } from '../task/index.js';
import type { LiveLimits } from './live-limits.js';

/** What a runner is given: tasks to run once each (retried on failure), and where to say what happens. */
export interface RunnerInput {
  readonly config: C2yConfig;
  readonly runId: string;
  readonly table: SourceTable;
  /** Tasks still to do, in the order to start them. */
  readonly tasks: readonly RunnerTask[];
  /** A keyspace run's tables besides `table`: tasks naming one (RunnerTask.tableRun) run in its context. */
  readonly tables?: readonly TableJob[];
  readonly balancer: ConnectionBalancer;
  /** Every event of every task (started, committed, retried, finished, failed), as it happens. */
  readonly listener: RunListener;
  /** The runner's own warnings (a Redis read that failed, no worker serving the run). */
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The run's rate limits as they change (`c2y tune`); shared by the streams running at each moment. */
  readonly limits?: LiveLimits;
  /** A local run's executors forked ahead (while the driver planned); the runner stops those it does not take. */
  readonly prestarted?: PrestartedExecutors;
}

export interface SplitFailure {
  readonly splitId: number;
  readonly error: TaskErrorJson;
  readonly attempts: number;
}

export interface RunnerOutcome {
  readonly completed: number[];
  /** Digests returned by validate tasks, by task id. */
  readonly digests: Map<number, DigestResult>;
  readonly failed: SplitFailure[];
  readonly retries: number;
  readonly interrupted: boolean;
  /** Set when an executor ran out of heap: retrying with the same settings cannot help. */
  readonly outOfMemory: boolean;
}

/**
 * Where tasks run: this machine's executor processes, or `c2y worker`s through Redis. Workflows (migrate, validate)
 * are written once over this: same input, same events, same outcome, whichever runs them.
 */
export interface Runner {
  readonly kind: 'local' | 'distributed';
  run(input: RunnerInput): Promise<RunnerOutcome>;
}
