import type { Logger } from './logger.js';
import type { RunStats } from './run-stats.js';
import { fitLines, type TerminalFrame } from './terminal-frame.js';
import { tableProgress, tablesLine, type TableMeta, type TableProgress } from './table-progress.js';
import type { LatencyQuantiles } from '../telemetry/index.js';

export interface ProgressOptions {
  readonly stats: RunStats;
  readonly estimatedRows: number;
  /** A TTY gets a redrawn bar; anything else gets a structured log line every intervalMs. */
  readonly tty: boolean;
  readonly logger: Logger;
  readonly write?: (text: string) => void;
  readonly intervalMs?: number;
  /** maxRetries + 1, for "attempt n of m". */
  readonly maxAttempts?: number;
  /** On a terminal: where the display is drawn, fitted to its width, with log lines above it. */
  readonly frame?: TerminalFrame;
  /** A keyspace run's tables: a line of their own under the bar, and their counts in the log line. */
  readonly tables?: readonly TableMeta[];
}

const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressSnapshot {
  /** Committed plus streamed in open transactions. */
  readonly rows: number;
  readonly committed: number;
  readonly estimatedRows: number;
  readonly rate: number;
  readonly etaSeconds: number;
  readonly splitsDone: number;
  readonly splitsRunning: number;
  readonly splitsFailed: number;
  readonly splitsTotal: number;
  readonly retries: number;
  /** The latest retry if it happened in the last 30 s, as "split 3 on host:port, attempt 2 of 6: error". */
  readonly retrying: string | null;
  /** Page-read and commit latency so far (ms). */
  readonly latency?: { readonly pageRead: LatencyQuantiles; readonly commit: LatencyQuantiles };
}

/** How long the latest retry stays on the progress line. */
const RETRY_SHOWN_MS = 30_000;

export function progressSnapshot(stats: RunStats, estimatedRows: number, maxAttempts?: number): ProgressSnapshot {
  const retry = stats.lastRetry !== null && Date.now() - stats.lastRetry.at < RETRY_SHOWN_MS ? stats.lastRetry : null;
  const committed = stats.rowsBefore + stats.rowsCommitted;
  // A catch-up reads every row and writes few: the rows it read and left alone are progress too.
  const rows = committed + stats.rowsInFlight + stats.older;
  const rate = stats.currentRate();
  const total = Math.max(estimatedRows, rows);
  return {
    rows, committed, estimatedRows: total, rate, etaSeconds: rate > 0 ? (total - rows) / rate : Number.POSITIVE_INFINITY,
    splitsDone: stats.countSplits('done'), splitsRunning: stats.countSplits('running') + stats.countSplits('retrying'),
    splitsFailed: stats.countSplits('failed'), splitsTotal: stats.splits.size, retries: stats.retries,
    retrying: retry ? `split ${retry.splitId} on ${retry.node}, attempt ${retry.attempt}${maxAttempts ? ` of ${maxAttempts}` : ''}: ${retry.error.slice(0, 120)}` : null,
    latency: { pageRead: stats.latencies.quantiles('pageRead'), commit: stats.latencies.quantiles('commit') },
  };
}

/** "  read p50/p99 3/12 ms  commit 5/40 ms", when there is something to say. */
function latencyPart(snapshot: ProgressSnapshot): string {
  const read = snapshot.latency?.pageRead;
  const commit = snapshot.latency?.commit;
  const pair = (q: LatencyQuantiles | undefined): string | null => (q && q.count > 0 ? `${q.p50}/${q.p99}` : null);
  const parts = [pair(read) ? `read p50/p99 ${pair(read)} ms` : null, pair(commit) ? `commit ${pair(commit)} ms` : null].filter(Boolean);
  return parts.length > 0 ? `  ${parts.join('  ')}` : '';
}

export function progressLine(snapshot: ProgressSnapshot, width = 24): string {
  const fraction = snapshot.estimatedRows > 0 ? Math.min(1, snapshot.rows / snapshot.estimatedRows) : 0;
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${formatCount(snapshot.rows)}/${formatCount(snapshot.estimatedRows)} rows (${formatCount(snapshot.committed)} committed)  ${formatCount(snapshot.rate)} rows/s  ETA ${formatDuration(snapshot.etaSeconds)}  splits ${snapshot.splitsDone} done/${snapshot.splitsRunning} running/${snapshot.splitsFailed} failed${snapshot.retries ? `  retries ${snapshot.retries}` : ''}${latencyPart(snapshot)}${snapshot.retrying ? `  retrying ${snapshot.retrying}` : ''}`;
}

/**
 * The display for a terminal `columns` wide: the bar and figures on one line, and while a retry is recent, what is
 * being retried on a second; each cut to the width so nothing wraps (the retry's error alone can be 200 characters).
 */
export function fittedProgress(snapshot: ProgressSnapshot, columns: number, tables?: readonly TableProgress[]): string {
  const main = progressLine({ ...snapshot, retrying: null }, columns < 100 ? 12 : 24);
  return fitLines([main, ...(tables ? [`  ${tablesLine(tables)}`] : []), ...(snapshot.retrying ? [`  retrying ${snapshot.retrying}`] : [])], columns);
}

/** A keyspace run's tables in the progress log line. */
function tableFields(tables: readonly TableProgress[] | undefined): Record<string, string | number> {
  if (!tables) return {};
  const running = tables.filter((t) => t.state === 'running').map((t) => t.table);
  return { tablesDone: tables.filter((t) => t.state === 'done').length, tables: tables.length, ...(running.length > 0 ? { tablesRunning: running.join(',') } : {}) };
}

/** Starts drawing; returns a function that draws the last frame and stops. */
export function startProgress(options: ProgressOptions): () => void {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const draw = (final: boolean): void => {
    const snapshot = progressSnapshot(options.stats, options.estimatedRows, options.maxAttempts);
    const tables = options.tables ? tableProgress(options.stats, options.tables) : undefined;
    if (options.tty && options.frame) {
      options.frame.show(fittedProgress(snapshot, options.frame.columns(), tables));
      if (final) options.frame.done();
    } else if (options.tty) write(`\r\x1b[2K${progressLine(snapshot)}${final ? '\n' : ''}`);
    else {
      options.logger.info('progress', {
        rows: snapshot.rows, committed: snapshot.committed, estimatedRows: snapshot.estimatedRows, rowsPerSecond: Math.round(snapshot.rate),
        etaSeconds: Number.isFinite(snapshot.etaSeconds) ? Math.round(snapshot.etaSeconds) : null,
        splitsDone: snapshot.splitsDone, splitsRunning: snapshot.splitsRunning, splitsFailed: snapshot.splitsFailed, retries: snapshot.retries, ...tableFields(tables),
        ...(snapshot.latency && snapshot.latency.pageRead.count > 0 ? { pageReadP50Ms: snapshot.latency.pageRead.p50, pageReadP99Ms: snapshot.latency.pageRead.p99 } : {}),
        ...(snapshot.latency && snapshot.latency.commit.count > 0 ? { commitP50Ms: snapshot.latency.commit.p50, commitP99Ms: snapshot.latency.commit.p99 } : {}),
        ...(snapshot.retrying ? { retrying: snapshot.retrying } : {}),
      });
    }
  };
  const timer = setInterval(() => draw(false), options.intervalMs ?? (options.tty ? 250 : 5000));
  return () => {
    clearInterval(timer);
    draw(true);
  };
}
