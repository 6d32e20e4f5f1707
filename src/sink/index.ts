export { parseTargetHosts, ConnectionBalancer } from './target-endpoints.js';
export type { TargetEndpoint } from './target-endpoints.js';
export { openTarget, describeServer, discoverYugabyteNodes } from './target-client.js';
export type { TargetClient, Queryable, ServerInfo } from './target-client.js';
export { CheckpointStore } from './checkpoint-store.js';
export type { SplitCheckpoint, RunRecord, RejectedRow } from './checkpoint-store.js';
export { CopyIn, copyFailed, copyStatement } from './copy-stream.js';
export { ensureTargetTable } from './target-table.js';
export type { TargetTableResult } from './target-table.js';
