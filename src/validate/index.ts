export { canonicalColumn, normalInet, parseExactJson } from './canonical-column.js';
export type { CanonicalColumn } from './canonical-column.js';
