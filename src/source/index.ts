export { openCassandra, consistencyCode, sessionOptionsOf, dialAddress } from './cassandra-session.js';
export type { CassandraClient, SessionOptions } from './cassandra-session.js';
export { describeTable } from './table-introspection.js';
export { readRing } from './token-ring.js';
export { estimateTableSize, tokenExpression } from './table-size.js';
export type { TableSizeEstimate } from './table-size.js';
export { scanRanges, scanQuery } from './range-scanner.js';
export type { ScannedRow, RangeScanOptions } from './range-scanner.js';
