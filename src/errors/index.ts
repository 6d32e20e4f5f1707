export { C2yError, isC2yError, messageOf } from './c2y-error.js';
export type { ErrorCode } from './c2y-error.js';
export { CodedError } from './coded-error.js';
export { targetServerError } from './server-error.js';
export type { C2yErrorDetails } from './coded-error.js';
export { EXIT, exitCodeOf } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { pause, retryDelayMs, runRetryPolicy, withRetries, PAGE_RETRY, LOCK_RETRY } from './retry-policy.js';
export type { RetryHooks, RetryPolicy } from './retry-policy.js';
