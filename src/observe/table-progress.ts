import type { PlannedFiguresJson } from './run-report-types.js';
import type { RunStats } from './run-stats.js';

/** A keyspace run's table, as its views need it: which splits are its, and what it held before a resume. */
export interface TableMeta {
  readonly name: string;
  /** The table's own run id (its checkpoints). */
  readonly runId: string;
  readonly splitIds: readonly number[];
  readonly estimatedRows: number;
  /** Rows committed by earlier attempts of a resumed run. */
  readonly rowsBefore: number;
}

/** What a run is, for the views attached to it (progress, dashboard, /metrics). */
export interface RunMeta {
  readonly kind: 'migrate' | 'validate';
  readonly runId: string;
  readonly source: string;
  readonly target: string;
  readonly estimatedRows: number;
  readonly planned: PlannedFiguresJson | null;
  /** The run's settings, secrets redacted. */
  readonly config: unknown;
  /** A keyspace run's tables, largest first; absent for a one-table run. */
  readonly tables?: readonly TableMeta[];
}

export type TableState = 'pending' | 'running' | 'done' | 'failed';

/** One table of a keyspace run now: rows (committed and in open transactions) and its splits by state. */
export interface TableProgress {
  readonly table: string;
  readonly runId: string;
  readonly state: TableState;
  /** Committed and in open transactions. */
  readonly rows: number;
  readonly committed: number;
  readonly estimatedRows: number;
  readonly splitsDone: number;
  readonly splitsRunning: number;
  readonly splitsFailed: number;
  readonly splitsTotal: number;
}

function stateOf(done: number, running: number, failed: number, total: number): TableState {
  if (failed > 0) return 'failed';
  if (done === total) return 'done';
  return running > 0 || done > 0 ? 'running' : 'pending';
}

/** Each table's figures, read from the run's per-split figures (so they always add up to the run's). */
export function tableProgress(stats: RunStats, tables: readonly TableMeta[]): TableProgress[] {
  return tables.map((table) => {
    let rows = table.rowsBefore;
    let committed = table.rowsBefore;
    let done = 0;
    let running = 0;
    let failed = 0;
    for (const id of table.splitIds) {
      const split = stats.splits.get(id);
      if (!split) continue;
      rows += split.rows + split.inFlight;
      committed += split.rows;
      if (split.state === 'done') done++;
      else if (split.state === 'running' || split.state === 'retrying') running++;
      else if (split.state === 'failed') failed++;
    }
    const total = table.splitIds.length;
    return {
      table: table.name, runId: table.runId, state: stateOf(done, running, failed, total), rows, committed, estimatedRows: Math.max(rows, table.estimatedRows),
      splitsDone: done, splitsRunning: running, splitsFailed: failed, splitsTotal: total,
    };
  });
}

/** "tables 3/7 done  events 45%  wide 12%": the tables done, and those moving now with their share. */
export function tablesLine(progress: readonly TableProgress[]): string {
  const done = progress.filter((t) => t.state === 'done').length;
  const running = progress.filter((t) => t.state === 'running').map((t) => `${t.table} ${t.estimatedRows > 0 ? Math.min(100, Math.floor((100 * t.rows) / t.estimatedRows)) : 0}%`);
  const failed = progress.filter((t) => t.state === 'failed').map((t) => t.table);
  return `tables ${done}/${progress.length} done${running.length > 0 ? `  ${running.join('  ')}` : ''}${failed.length > 0 ? `  failed: ${failed.join(', ')}` : ''}`;
}
