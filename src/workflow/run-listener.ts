import type { C2yConfig } from '../config/index.js';
import type { Logger, RunEvent, RunListener, RunStats } from '../observe/index.js';
import type { AdaptiveWatch } from './adaptive-reads.js';
import type { PreparedRun } from './prepare-run.js';

/** When each table of a run had its first split start and its last split end, for its time and rate. */
export class TableTiming {
  private readonly spans = new Map<string, { first: number; last: number }>();

  record(runId: string, at: number): void {
    const span = this.spans.get(runId);
    if (!span) this.spans.set(runId, { first: at, last: at });
    else span.last = Math.max(span.last, at);
  }

  seconds(runId: string): number {
    const span = this.spans.get(runId);
    return span ? (span.last - span.first) / 1000 : 0;
  }
}

export interface RunEventInput {
  readonly config: C2yConfig;
  readonly stats: RunStats;
  readonly log: Logger;
  readonly adaptive: AdaptiveWatch | undefined;
  /** Stops the run (too many rejects). */
  readonly stop: () => void;
  readonly timing: TableTiming;
  readonly ownerOf: ReadonlyMap<number, PreparedRun>;
  /** A keyspace run: log lines about a split name its table. */
  readonly nameTables: boolean;
}

export interface RunEventHandler {
  readonly listener: RunListener;
  readonly tooManyRejects: () => boolean;
  /** Distributed: each worker's cores as it said when it joined. */
  readonly workerCores: ReadonlyMap<number, number>;
}

/** The driver's view of every event: the run's figures, its log lines, the reject limit and each table's timing. */
export function runEventHandler(input: RunEventInput): RunEventHandler {
  const { config, stats, log, adaptive, timing, ownerOf } = input;
  const figures = stats.listener;
  const workerCores = new Map<number, number>();
  let tooMany = false;
  const listener = (event: RunEvent): void => {
    figures(event);
    adaptive?.observe(event);
    if (event.type === 'split-started' || event.type === 'batch-committed' || event.type === 'split-finished') {
      const owner = ownerOf.get(event.splitId);
      if (owner) timing.record(owner.runId, Date.now());
    }
    if (event.type === 'batch-committed' && event.rejected > 0 && config.onError === 'reject' && stats.rejected > config.maxErrors && !tooMany) {
      tooMany = true;
      log.error('too many rejected rows; stopping the run', { rejected: stats.rejected, maxErrors: config.maxErrors });
      input.stop();
    }
    logEvent(event, config, log, input.nameTables ? ownerOf : new Map());
    if (event.type === 'executor-started') workerCores.set(event.executor, event.cores);
  };
  return { listener, tooManyRejects: () => tooMany, workerCores };
}

/** The log lines an event makes; split lines name their table where `ownerOf` knows it. */
function logEvent(event: RunEvent, config: C2yConfig, log: Logger, ownerOf: ReadonlyMap<number, PreparedRun>): void {
  const tableOf = (splitId: number): Record<string, string> => {
    const owner = ownerOf.get(splitId);
    return owner ? { table: owner.table.name } : {};
  };
  if (event.type === 'page-retry') log.warn('page retry', { split: event.splitId, ...tableOf(event.splitId), replica: event.replica, attempt: event.attempt, error: event.error });
  else if (event.type === 'split-retry') log.warn('split retry', { split: event.splitId, ...tableOf(event.splitId), node: event.node, attempt: event.attempt, of: config.maxRetries + 1, inMs: event.delayMs, error: event.error });
  else if (event.type === 'split-failed') log.error('split failed', { split: event.splitId, ...tableOf(event.splitId), node: event.node, code: event.code, error: event.error });
  else if (event.type === 'split-started' || event.type === 'split-finished') log.debug(event.type, { split: event.splitId, ...tableOf(event.splitId) });
  else if (event.type === 'executor-exited' && !event.expected) log.warn('executor exited', { executor: event.executor, code: event.code, signal: event.signal });
  else if (event.type === 'executor-started') log.info('worker joined', { executor: event.executor, worker: event.worker, host: event.host, cores: event.cores });
}
