/** One stream's (split attempt's) page-read and commit latencies so far: bucket counts over LATENCY_BOUNDS_MS. */
export interface StreamLatencyCounts {
  readonly pageReadMs: readonly number[];
  readonly commitMs: readonly number[];
}

/** An executor's page frame buffers so far: made new, and taken again from its pool (see ReusablePool). */
export interface PageBufferCounts {
  readonly allocated: number;
  readonly reused: number;
  /** Pages read from the socket straight into a pooled buffer (socket-frames.ts), never into Node's own reads. */
  readonly framed: number;
  /** The most page buffers in use at once: the plan counts two a task (the page being copied and the next). */
  readonly atOnce?: number;
}

/** Where a split's target connection came from. */
export type SplitConnectionKind = 'new' | 'openedAhead' | 'kept';

/** Everything the runner tells listeners (progress, log, report, dashboard); plain data so it crosses IPC. */
export type RunEvent =
  /** `connection`: the split's target connection was new, opened while the run was planned, or kept from an earlier split. */
  | { readonly type: 'split-started'; readonly splitId: number; readonly attempt: number; readonly executor: number; readonly node: string; readonly serverAddress: string; readonly resumedFrom: string | null; readonly connection?: SplitConnectionKind }
  | { readonly type: 'rows-streamed'; readonly splitId: number; readonly rows: number; readonly executor: number }
  | { readonly type: 'batch-committed'; readonly splitId: number; readonly rows: number; readonly bytes: number; readonly rejected: number; readonly staticOnly: number; readonly existing?: number; readonly older?: number; readonly referenceCells: number; readonly driverPages?: number; readonly sourceWaitMs: number; readonly transcodeMs: number; readonly targetWaitMs: number; readonly roundTrips: number; readonly throttledMs?: number; readonly lastToken: string | null; readonly executor: number; readonly streamLatency?: StreamLatencyCounts }
  /** Validate: rows read and folded into digests (nothing is written). */
  | { readonly type: 'rows-compared'; readonly splitId: number; readonly rows: number; readonly executor: number }
  | { readonly type: 'split-finished'; readonly splitId: number; readonly rows: number; readonly executor: number }
  /** A page read that failed and is asked again (same split, same transaction): how close the source is to failing splits. */
  | { readonly type: 'page-retry'; readonly splitId: number; readonly attempt: number; readonly replica: string | null; readonly error: string; readonly executor: number }
  /** An executor's page-read and commit latencies so far, as LatencyHistogram counts (cumulative for its process). */
  | { readonly type: 'latency'; readonly executor: number; readonly pageReadMs: readonly number[]; readonly commitMs: readonly number[] }
  | { readonly type: 'split-retry'; readonly splitId: number; readonly attempt: number; readonly delayMs: number; readonly error: string; readonly node: string }
  | { readonly type: 'split-failed'; readonly splitId: number; readonly error: string; readonly code: string; readonly node: string }
  | { readonly type: 'executor-memory'; readonly executor: number; readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly heapLimit: number; readonly gcMs: number; readonly cpuMs: number; readonly baselineRss: number; readonly baselineHeapUsed: number; readonly pageBuffers?: PageBufferCounts; readonly streamBuffersMade?: number; readonly fullCollections?: number }
  /** How an executor reads pages: 'raw pages', or 'driver rows: <why>'. */
  /** `session`: whether the executor's Cassandra session was opened while the run was planned, and how long init waited for it. */
  | { readonly type: 'read-path'; readonly executor: number; readonly raw: boolean; readonly detail: string; readonly session?: ExecutorSession }
  /** A distributed run: the executor of worker `worker` on `host` joined the run. */
  | { readonly type: 'executor-started'; readonly executor: number; readonly worker: string; readonly host: string; readonly cores: number }
  | { readonly type: 'executor-exited'; readonly executor: number; readonly code: number | null; readonly signal: string | null; readonly expected: boolean };

export type RunListener = (event: RunEvent) => void;

/** A task error as it crosses process boundaries. */
export interface TaskErrorJson {
  readonly code: string;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly retryable: boolean;
}

/** How an executor's Cassandra session came: opened ahead (while the driver planned) or at init, and init's wait for it. */
export interface ExecutorSession {
  readonly openedWhilePlanning: boolean;
  readonly initWaitMs: number;
}
