import { CodedError, type C2yErrorDetails } from './coded-error.js';
import { exitCodeOf } from './exit-codes.js';

/** Every error a user can meet: a stable code, what happened, and what to do next. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_UNREADABLE'
  | 'SOURCE_UNREACHABLE'
  | 'SOURCE_TABLE_NOT_FOUND'
  | 'SOURCE_READ_FAILED'
  | 'TARGET_UNREACHABLE'
  | 'TARGET_TABLE_MISMATCH'
  | 'TARGET_TABLE_CHANGED'
  | 'TARGET_WRITE_FAILED'
  | 'VALUE_UNREPRESENTABLE'
  | 'TOO_MANY_REJECTS'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RUNNING'
  | 'CUTOVER_NOT_READY'
  | 'TUNE_NOT_APPLIED'
  | 'RUN_UNFINISHED'
  | 'RUN_FOLDER_UNWRITABLE'
  | 'PREPARE_FAILED'
  | 'SPLITS_FAILED'
  | 'ROWS_DIFFER'
  | 'VALIDATE_FAILED'
  | 'TARGET_QUERY_FAILED'
  | 'MEMORY_PLAN_REFUSED'
  | 'UI_UNAVAILABLE'
  | 'RUN_FOLDER_INVALID'
  | 'EXECUTOR_OUT_OF_MEMORY'
  | 'EXECUTOR_CRASHED'
  | 'REDIS_UNREACHABLE'
  | 'DISTRIBUTED_RUN_FAILED'
  | 'RUN_LOCKED'
  | 'RUN_LOCK_LOST'
  | 'RUN_SUPERSEDED'
  | 'TARGET_COUNT_MISMATCH'
  | 'TARGET_COPY_COUNT_MISMATCH'
  | 'PARTITIONER_UNSUPPORTED'
  | 'RING_NOT_COVERED'
  | 'SOURCE_PAGE_CORRUPT'
  | 'SOURCE_FRAME_CORRUPT'
  | 'SOURCE_SCHEMA_CHANGED'
  | 'SOURCE_TOKEN_MISMATCH'
  | 'CDC_NOT_ENABLED'
  | 'CDC_VERSION_MISMATCH'
  | 'CDC_RAW_UNREADABLE'
  | 'CDC_SEGMENT_UNREADABLE'
  | 'CDC_AGENT_FAILED'
  | 'CDC_CHANGE_FORGED'
  | 'CDC_NOT_PUBLISHED'
  | 'RUN_KEY_MISSING'
  | 'RUN_ID_INVALID'
  | 'RUN_JOB_FORGED'
  | 'NODE_LEASE_LOST'
  | 'INTERRUPTED';

export type { C2yErrorDetails } from './coded-error.js';

/**
 * The product's errors: a code from ErrorCode, whose exit code is its class (exit-codes.ts). The test bed has its
 * own codes (testbed/testbed-error.ts) on the same base, so the CLI prints and exits the same way for both.
 */
export class C2yError extends CodedError {
  declare readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: C2yErrorDetails = {}) {
    super(code, exitCodeOf(code), message, details);
    this.name = 'C2yError';
  }
}

export function isC2yError(error: unknown): error is C2yError {
  return error instanceof C2yError;
}

/** A message for any thrown value, without a stack trace. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
