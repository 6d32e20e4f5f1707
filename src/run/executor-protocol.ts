import type { C2yConfig } from '../config/index.js';
import type { SplitJson } from '../plan/index.js';
import type { SourceTable } from '../schema/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import type { RunEvent, TaskErrorJson } from '../observe/index.js';

/** Driver → executor. */
export type DriverMessage =
  | { readonly type: 'init'; readonly executor: number; readonly config: C2yConfig; readonly runId: string; readonly table: SourceTable; readonly copySql: string }
  | { readonly type: 'task'; readonly taskId: number; readonly split: SplitJson; readonly attempt: number; readonly endpoint: TargetEndpoint }
  | { readonly type: 'cancel' };

/** Executor → driver. */
export type ExecutorMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'event'; readonly event: RunEvent }
  | { readonly type: 'task-done'; readonly taskId: number; readonly rows: number }
  | { readonly type: 'task-failed'; readonly taskId: number; readonly error: TaskErrorJson }
  | { readonly type: 'fatal'; readonly error: TaskErrorJson };

/** bigint does not cross IPC's JSON: SourceTable is plain, but configs carry numbers only; splits travel as SplitJson. */
export function errorToJson(error: unknown): TaskErrorJson {
  if (error && typeof error === 'object' && 'code' in error && 'retryable' in error) {
    const typed = error as { code: string; message: string; hint?: string; retryable: boolean };
    return { code: typed.code, message: typed.message, hint: typed.hint, retryable: typed.retryable };
  }
  return { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error), retryable: true };
}
