import type { C2yConfig } from '../config/index.js';
import { splitToJson, type Split } from '../plan/index.js';
import type { RunnerTask, TableJob } from '../task/index.js';
import { qualifiedName } from '../schema/index.js';
import type { PreparedRun } from './prepare-run.js';

/**
 * What executors (and workers) run a table with: the copy format decided against the target's columns, and pages of
 * the rows the plan allows (copyBufferSize and copyBufferBytes over the sampled row size: large rows, few to a page).
 */
export function executorConfig(loaded: C2yConfig, prepared: PreparedRun): C2yConfig {
  return {
    ...loaded,
    source: { ...loaded.source, fetchSize: prepared.planned.memoryPerTask.pageRows },
    // The run's own onExisting (a resume was refused unless the config says the same).
    target: { ...loaded.target, copyFormat: prepared.copyFormat.format, onExisting: prepared.plan.onExisting ?? 'refuse' },
  };
}

/** Each table's job for the executors: its own run id, settings and description. */
export function tableJobs(tables: readonly PreparedRun[], configOf: (prepared: PreparedRun) => C2yConfig): TableJob[] {
  return tables.map((prepared) => ({ runId: prepared.runId, config: executorConfig(configOf(prepared), prepared), table: prepared.table }));
}

/** A split's expected rows: its table's estimate shared over the table's splits. */
function rowsPerSplit(prepared: PreparedRun): number {
  return prepared.plan.estimatedRows / Math.max(1, prepared.allSplits.length);
}

/**
 * The run's queue: one copy task per split still to do. A keyspace run orders the splits of all its tables largest
 * first (the longest-processing-time rule): the big tables' splits start early and the small tables fill the gaps
 * at the end, instead of the streams idling while one table's last split runs. Ties keep table, then split order.
 */
export function runQueue(tables: readonly PreparedRun[], keyspace: boolean): RunnerTask[] {
  const entries = tables.flatMap((prepared, order) => prepared.pendingSplits.map((split: Split) => ({ split, prepared, order, size: rowsPerSplit(prepared) })));
  if (keyspace) entries.sort((a, b) => b.size - a.size || a.order - b.order || a.split.id - b.split.id);
  return entries.map(({ split, prepared }) => ({
    id: split.id, spec: { kind: 'copy', split: splitToJson(split) }, ...(keyspace ? { tableRun: prepared.runId } : {}),
  }));
}

/** Which table each split id of the run belongs to. */
export function tableOfSplit(tables: readonly PreparedRun[]): Map<number, PreparedRun> {
  const owner = new Map<number, PreparedRun>();
  for (const prepared of tables) for (const split of prepared.allSplits) owner.set(split.id, prepared);
  return owner;
}

/** A table's target as the report names it. */
export function targetLabel(config: C2yConfig, prepared: PreparedRun): string {
  return `${config.target.database}.${qualifiedName(prepared.target)}`;
}
