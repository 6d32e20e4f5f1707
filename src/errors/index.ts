export { C2yError, isC2yError, messageOf } from './c2y-error.js';
export type { ErrorCode, C2yErrorDetails } from './c2y-error.js';
