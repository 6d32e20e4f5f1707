import type { ExitCode } from './exit-codes.js';

export interface C2yErrorDetails {
  /** One sentence a user can act on: the flag, key or command that fixes it. */
  readonly hint?: string;
  /** Whether running the same step again can succeed without the user changing anything. */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** Structured context (table, split, token, host); never secrets. */
  readonly context?: Readonly<Record<string, string | number | boolean | null>>;
}

/** An error a user can meet: a stable code, the exit code it ends c2y with, what happened and what to do next. */
export class CodedError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: string, exitCode: ExitCode, message: string, details: C2yErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CodedError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = details.hint;
    this.retryable = details.retryable ?? false;
    this.context = details.context ?? {};
  }

  /** The one or two lines the CLI prints. */
  describe(): string {
    return this.hint ? `${this.code}: ${this.message}\n  fix: ${this.hint}` : `${this.code}: ${this.message}`;
  }
}
