export { runDistributed, failureOf } from './distributed-runner.js';
export type { DistributedRunInput } from './distributed-runner.js';
export { runWorker } from './split-worker.js';
export type { WorkerOptions, SplitJobData, SplitJobResult, SplitJobProgress } from './split-worker.js';
export { distributedStatus, renderStatus } from './run-status.js';
export type { DistributedStatus, RunStatusEntry, WorkerStatusEntry } from './run-status.js';
export { openRedis } from './redis-connection.js';
export * as redisKeys from './redis-keys.js';
