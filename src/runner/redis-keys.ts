/** Every Redis name c2y uses, in one place: BullMQ's own keys live under its default "bull:" prefix. */

/** Runs by start time (sorted set: run id → epoch ms). */
export const RUNS_KEY = 'c2y:runs';
/** Numbers for workers' executors, unique across machines. */
export const WORKER_SEQUENCE_KEY = 'c2y:workers:seq';
/** The queue of run (parent) jobs: one per run, completed once all its split jobs are. */
export const RUNS_QUEUE = 'c2y-runs';

/** A run's record (string holding RunRecord JSON). */
export const runKey = (runId: string): string => `c2y:run:${runId}`;
/** A run's events from every worker (stream), read by the driver for progress, dashboard and report. */
export const eventsKey = (runId: string): string => `c2y:run:${runId}:events`;
/** The driver's heartbeat (string with a TTL): a run whose driver is silent is orphaned, and workers leave it. */
export const driverKey = (runId: string): string => `c2y:run:${runId}:driver`;
/** How long a driver may be silent before its run counts as orphaned. */
export const DRIVER_SILENT_MS = 20_000;
/** Workers that would not serve the run, and why (hash: worker → RunRefusal JSON). */
export const refusalsKey = (runId: string): string => `c2y:run:${runId}:refusals`;
/** Open streams on one target node (sorted set: holder → lease expiry ms). */
export const leaseKey = (runId: string, node: string): string => `c2y:run:${runId}:lease:${node}`;
/** Streams opened per target node over the run (hash). */
export const openedKey = (runId: string): string => `c2y:run:${runId}:opened`;
/** The run's rate limits as its driver last set them (signed JSON): `c2y tune` changes them while the run goes on. */
export const limitsKey = (runId: string): string => `c2y:run:${runId}:limits`;
/** One token bucket of a run's rate limit (hash: credit, at, rate), shared by every stream of every worker. */
export const bucketKey = (runId: string, measure: string): string => `c2y:run:${runId}:bucket:${measure}`;
/** A live worker's heartbeat (string with a TTL). */
export const workerKey = (name: string): string => `c2y:worker:${name}`;
export const WORKER_KEY_PATTERN = 'c2y:worker:*';

/** A node's changes to a keyspace's tables, as its `c2y cdc agent --publish` reads them from cdc_raw (stream; ids are log positions). */
export const cdcChangesKey = (keyspace: string, node: string): string => `c2y:cdc:${keyspace}:${node}:changes`;
/** Beside a node's changes (hash of signed fields): what it publishes, where it caught up, what is applied, its failure. */
export const cdcStateKey = (keyspace: string, node: string): string => `c2y:cdc:${keyspace}:${node}:state`;

/** One queue per run, so its global concurrency is that run's parallelism. */
export const splitQueueName = (runId: string): string => `c2y-splits-${runId}`;
/** Job ids are the run and the split: enqueueing the same split twice yields the same job. */
export const splitJobId = (runId: string, splitId: number): string => `${runId}-split-${splitId}`;

/** The backoff type split jobs carry: workers compute it with the run's retry policy (BullMQ's custom strategy). */
export const RUN_RETRY_BACKOFF = 'c2y-run-policy';
