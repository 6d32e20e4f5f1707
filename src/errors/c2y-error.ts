/** Every error a user can meet: a stable code, what happened, and what to do next. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_UNREADABLE'
  | 'JAVA_MISSING'
  | 'MAVEN_MISSING'
  | 'MAVEN_FAILED'
  | 'CACHE_INCOMPLETE'
  | 'PORT_IN_USE'
  | 'NODE_START_TIMEOUT'
  | 'NODE_EXITED'
  | 'NODE_NOT_RUNNING'
  | 'POSTGRES_START_FAILED'
  | 'SOURCE_UNREACHABLE'
  | 'SOURCE_TABLE_NOT_FOUND'
  | 'SOURCE_READ_FAILED'
  | 'TARGET_UNREACHABLE'
  | 'TARGET_TABLE_MISMATCH'
  | 'TARGET_WRITE_FAILED'
  | 'VALUE_UNREPRESENTABLE'
  | 'TOO_MANY_REJECTS'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RUNNING'
  | 'TUNE_NOT_APPLIED'
  | 'RUN_UNFINISHED'
  | 'RUN_FOLDER_UNWRITABLE'
  | 'PREPARE_FAILED'
  | 'SPLITS_FAILED'
  | 'ROWS_DIFFER'
  | 'VALIDATE_FAILED'
  | 'MEMORY_PLAN_REFUSED'
  | 'UI_UNAVAILABLE'
  | 'RUN_FOLDER_INVALID'
  | 'TESTBED_TLS_FAILED'
  | 'TESTBED_NETNS_FAILED'
  | 'TESTBED_REDIS_FAILED'
  | 'EXECUTOR_OUT_OF_MEMORY'
  | 'EXECUTOR_CRASHED'
  | 'REDIS_UNREACHABLE'
  | 'DISTRIBUTED_RUN_FAILED'
  | 'RUN_LOCKED'
  | 'RUN_LOCK_LOST'
  | 'RUN_SUPERSEDED'
  | 'TARGET_COUNT_MISMATCH'
  | 'PARTITIONER_UNSUPPORTED'
  | 'RING_NOT_COVERED'
  | 'SOURCE_PAGE_CORRUPT'
  | 'SOURCE_SCHEMA_CHANGED'
  | 'RUN_KEY_MISSING'
  | 'RUN_ID_INVALID'
  | 'RUN_JOB_FORGED'
  | 'NODE_LEASE_LOST'
  | 'INTERRUPTED';

export interface C2yErrorDetails {
  /** One sentence a user can act on: the flag, key or command that fixes it. */
  readonly hint?: string;
  /** Whether running the same step again can succeed without the user changing anything. */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** Structured context (table, split, token, host); never secrets. */
  readonly context?: Readonly<Record<string, string | number | boolean | null>>;
}

export class C2yError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: ErrorCode, message: string, details: C2yErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'C2yError';
    this.code = code;
    this.hint = details.hint;
    this.retryable = details.retryable ?? false;
    this.context = details.context ?? {};
  }

  /** The one or two lines the CLI prints. */
  describe(): string {
    return this.hint ? `${this.code}: ${this.message}\n  fix: ${this.hint}` : `${this.code}: ${this.message}`;
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
