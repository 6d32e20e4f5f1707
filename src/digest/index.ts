export { canonicalColumn, normalInet, parseExactJson } from './canonical-column.js';
export type { CanonicalColumn } from './canonical-column.js';
export { NULL } from './canonical-column.js';
export { keyTokenFunction } from './key-token.js';
export { BucketDigests, keyOf, rowShape } from './row-digest.js';
export type { RowShape } from './row-digest.js';
