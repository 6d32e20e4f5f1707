import type { ErrorCode } from './c2y-error.js';

/**
 * Exit codes by class, as DSBulk has them, so scripts can branch without parsing text (README, "Exit codes").
 * 0 done · 1 done with rejects · 2 bad usage or configuration · 3 cannot connect · 4 rows differ · 5 failed, resumable
 * · 130 interrupted · 70 a bug in c2y.
 */
export const EXIT = { done: 0, doneWithRejects: 1, usage: 2, connect: 3, rowsDiffer: 4, resumable: 5, bug: 70, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every code has a class: a new code that is not placed here does not compile. */
const CLASS_OF: Readonly<Record<ErrorCode, ExitCode>> = {
  CONFIG_INVALID: EXIT.usage, CONFIG_FILE_UNREADABLE: EXIT.usage, RUN_KEY_MISSING: EXIT.usage, RUN_ID_INVALID: EXIT.usage,
  SOURCE_TABLE_NOT_FOUND: EXIT.usage, TARGET_TABLE_MISMATCH: EXIT.usage, PARTITIONER_UNSUPPORTED: EXIT.usage,
  RUN_NOT_FOUND: EXIT.usage, RUN_NOT_RUNNING: EXIT.usage, CUTOVER_NOT_READY: EXIT.usage, TUNE_NOT_APPLIED: EXIT.connect, RUN_UNFINISHED: EXIT.usage, RUN_SUPERSEDED: EXIT.usage, RUN_LOCKED: EXIT.usage,
  MEMORY_PLAN_REFUSED: EXIT.usage, RUN_FOLDER_INVALID: EXIT.usage, UI_UNAVAILABLE: EXIT.usage,
  SOURCE_UNREACHABLE: EXIT.connect, TARGET_UNREACHABLE: EXIT.connect, REDIS_UNREACHABLE: EXIT.connect,
  ROWS_DIFFER: EXIT.rowsDiffer, TARGET_COUNT_MISMATCH: EXIT.rowsDiffer,
  SPLITS_FAILED: EXIT.resumable, RING_NOT_COVERED: EXIT.resumable, VALUE_UNREPRESENTABLE: EXIT.resumable, TOO_MANY_REJECTS: EXIT.resumable,
  RUN_FOLDER_UNWRITABLE: EXIT.resumable, EXECUTOR_OUT_OF_MEMORY: EXIT.resumable, EXECUTOR_CRASHED: EXIT.resumable, RUN_LOCK_LOST: EXIT.resumable,
  SOURCE_READ_FAILED: EXIT.resumable, TARGET_WRITE_FAILED: EXIT.resumable, TARGET_COPY_COUNT_MISMATCH: EXIT.resumable, SOURCE_PAGE_CORRUPT: EXIT.resumable, SOURCE_FRAME_CORRUPT: EXIT.resumable, SOURCE_SCHEMA_CHANGED: EXIT.resumable, TARGET_TABLE_CHANGED: EXIT.resumable,
  DISTRIBUTED_RUN_FAILED: EXIT.resumable, PREPARE_FAILED: EXIT.resumable, VALIDATE_FAILED: EXIT.resumable, TARGET_QUERY_FAILED: EXIT.resumable, RUN_JOB_FORGED: EXIT.resumable, NODE_LEASE_LOST: EXIT.resumable,
  CDC_NOT_ENABLED: EXIT.usage, CDC_VERSION_MISMATCH: EXIT.usage, CDC_RAW_UNREADABLE: EXIT.usage, CDC_SEGMENT_UNREADABLE: EXIT.resumable, CDC_AGENT_FAILED: EXIT.resumable, CDC_CHANGE_FORGED: EXIT.resumable, CDC_NOT_PUBLISHED: EXIT.usage,
  // c2y's own Murmur3 disagreeing with the cluster's is c2y's bug; the hint says how to run without it.
  SOURCE_TOKEN_MISMATCH: EXIT.bug,
  INTERRUPTED: EXIT.interrupted,
};

export function exitCodeOf(code: ErrorCode): ExitCode {
  return CLASS_OF[code];
}
