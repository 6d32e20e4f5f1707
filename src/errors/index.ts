export { C2yError, isC2yError, messageOf } from './c2y-error.js';
export type { ErrorCode, C2yErrorDetails } from './c2y-error.js';
export { EXIT, exitCodeOf } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
