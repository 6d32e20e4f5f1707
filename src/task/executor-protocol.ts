import type { EarlyTarget } from './early-targets.js';
import type { C2yConfig } from '../config/index.js';
import type { SplitJson } from '../plan/index.js';
import type { SourceTable } from '../schema/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { RunEvent, TaskErrorJson } from '../observe/index.js';
import type { TargetName } from '../schema/index.js';
import type { DigestResult, TargetPart } from './digest-task.js';
import type { PageAmounts, RunLimits } from './stream-throttle.js';

/** What one task does: migrate a split, or digest a split (source) or a part (target) for validate. */
export type TaskSpec =
  | { readonly kind: 'copy'; readonly split: SplitJson }
  | { readonly kind: 'digest-source'; readonly split: SplitJson; readonly buckets: number; readonly collect: readonly number[] }
  | { readonly kind: 'digest-target'; readonly part: TargetPart; readonly target: TargetName; readonly buckets: number; readonly collect: readonly number[] };

/** A task as the runner schedules it: `id` names it in events and outcomes (the split id for copy tasks). */
export interface RunnerTask {
  readonly id: number;
  readonly spec: TaskSpec;
  /** The run id of the table job it belongs to (a keyspace run has one per table); absent: the run's own table. */
  readonly tableRun?: string;
}

/**
 * One table of a run as an executor needs it to run that table's tasks. A keyspace run gives its executors one per
 * table, so the splits of all tables share the same executors, streams and caps.
 */
export interface TableJob {
  /** The table's own run id: its checkpoints live under it, and its tasks name it (RunnerTask.tableRun). */
  readonly runId: string;
  /** The run's settings as this table runs them (its source.table, page size and copy format). */
  readonly config: C2yConfig;
  readonly table: SourceTable;
}

/** Driver → executor. */
export type DriverMessage =
  /** `streams`: the most streams the whole run has at once, over which its rate limits are shared. */
  /** `sharedPace`: a distributed run's streams take each page from the run's buckets, asking with `pace` messages. */
  /** `tables`: a keyspace run's other tables, whose tasks name them by run id. */
  | { readonly type: 'init'; readonly executor: number; readonly config: C2yConfig; readonly runId: string; readonly table: SourceTable; readonly streams: number; readonly sharedPace?: boolean; readonly tables?: readonly TableJob[] }
  | { readonly type: 'task'; readonly taskId: number; readonly task: RunnerTask; readonly attempt: number; readonly endpoint: TargetEndpoint }
  | { readonly type: 'cancel' }
  /** The run's limits changed (`c2y tune`) or the streams sharing them did: every stream's pace follows from its next page. */
  | { readonly type: 'limits'; readonly limits: RunLimits; readonly streams: number }
  /** Interrupts one task (its transaction rolled back), e.g. a distributed stream whose node lease was lost. */
  | { readonly type: 'cancel-task'; readonly taskId: number }
  /** The answer to a `pace`: how long the stream waits before its next page. */
  | { readonly type: 'paced'; readonly requestId: number; readonly waitMs: number }
  /** Before any init: run the copy path on synthetic pages for this much CPU (a worker's waiting executor, see warm-up.ts). */
  | { readonly type: 'warm-up'; readonly budgetMs: number }
  /**
   * Before any init: open the Cassandra session now (a local run's executors, forked while the driver plans); init
   * takes it if its source settings are the same, else closes it and opens its own. With `target`, it also opens its
   * streams' target connections (early-targets.ts), which init hands to its kept connections.
   */
  | { readonly type: 'connect'; readonly source: C2yConfig['source']; readonly target?: EarlyTarget };

/** Executor → driver. */
export type ExecutorMessage =
  /** Its modules are loaded and it listens: sent once, before any init (a worker's waiting executor). */
  | { readonly type: 'loaded' }
  /** The answer to `warm-up`: rows run through and CPU spent, or why it could not warm. */
  | { readonly type: 'warmed'; readonly rows: number; readonly cpuMs: number; readonly referenceCells: number; readonly skipped?: string }
  | { readonly type: 'ready' }
  | { readonly type: 'event'; readonly event: RunEvent }
  | { readonly type: 'task-done'; readonly taskId: number; readonly rows: number; readonly digest?: DigestResult }
  | { readonly type: 'task-failed'; readonly taskId: number; readonly error: TaskErrorJson }
  | { readonly type: 'fatal'; readonly error: TaskErrorJson }
  /** A stream of a distributed run read and wrote a page: its amounts, to be taken from the run's buckets. */
  | { readonly type: 'pace'; readonly requestId: number; readonly page: PageAmounts };

/** bigint does not cross IPC's JSON: SourceTable is plain, but configs carry numbers only; splits travel as SplitJson. */
export function errorToJson(error: unknown): TaskErrorJson {
  if (error && typeof error === 'object' && 'code' in error && 'retryable' in error) {
    const typed = error as { code: string; message: string; hint?: string; retryable: boolean };
    return { code: typed.code, message: typed.message, hint: typed.hint, retryable: typed.retryable };
  }
  return { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error), retryable: true };
}
