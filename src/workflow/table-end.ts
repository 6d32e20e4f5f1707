import type { C2yConfig } from '../config/index.js';
import { messageOf, runRetryPolicy, withRetries } from '../errors/index.js';
import type { Logger, RunReport, TableReport } from '../observe/index.js';
import { qualifiedName } from '../schema/index.js';
import { CdcStore, LIFT_TIMEOUTS_SQL, queryTogether, type BundledQuery, type Queryable, type RejectedRow } from '../sink/index.js';
import type { IndexPlan } from './keyspace-schema.js';
import type { PreparedRun } from './prepare-run.js';
import { targetLabel } from './run-tables.js';
import type { TableTiming } from './run-listener.js';

/** How one table of a run ended, read from its checkpoints and rejects (the truth), not from the events. */
export interface TableEnd {
  readonly prepared: PreparedRun;
  readonly status: RunReport['status'];
  readonly rejects: readonly RejectedRow[];
  readonly rowsCommittedTotal: number;
  /** Of those, rows whose key the target already held (target.onExisting skip or update). */
  readonly rowsExisting: number;
  readonly targetRows: number | null;
  /** The target's count disagrees with the checkpoints. */
  readonly countMismatch: boolean;
  /** The count the checkpoints (and, for skip and update, the rows held at the start) call for; null: not known. */
  readonly expectedRows: number | null;
  /** Splits of its plan a finished run did not mark done. */
  readonly unscanned: readonly number[];
  readonly splitsDone: number;
  readonly splitsFailed: number;
}

/** Bookkeeping after the run: retried with the run's own backoff, since the rows are safe and only the record is missing. */
export function withRunRetries<T>(config: C2yConfig, logger: Logger, what: string, attempt: () => Promise<T>): Promise<T> {
  return withRetries(runRetryPolicy(config), config.maxRetries + 1, attempt, {
    onRetry: ({ retry, delayMs, error }) => logger.warn('retrying', { what, attempt: retry + 1, of: config.maxRetries + 1, inMs: delayMs, error: messageOf(error) }),
  });
}

const liftTimeouts: BundledQuery<void> = { sql: LIFT_TIMEOUTS_SQL, read: () => undefined };

/** Up to here an exact count takes about a second on PostgreSQL; past it the count is skipped (null). */
const CHEAP_COUNT_ROWS = 5_000_000;

export interface TableEndInput {
  readonly admin: Queryable;
  readonly config: C2yConfig;
  readonly logger: Logger;
  readonly prepared: PreparedRun;
  /** How the run ended for this table as the runner saw it (failed when one of its splits failed). */
  readonly ended: RunReport['status'];
  readonly splitsFailed: number;
}

/**
 * One table's end: its checkpoints and rejects read back, its target counted where cheap, and its status recorded.
 * A finished table's checkpoints must describe it: every split of the plan done, and the count equal to their rows.
 * Two round trips where there is a count (five before; over a WAN each is one a user waits for at the run's end):
 * the rejects, the checkpoints and whether the schema has capture positions travel together (the session's timeouts
 * lifted with them), then the count with the status it decides. A schema with positions (a live run's) takes one
 * more, to see whether an apply wrote here.
 */
export async function endTable(input: TableEndInput): Promise<TableEnd> {
  const { admin, config, logger, prepared, ended } = input;
  const { store, runId } = prepared;
  const cdc = new CdcStore(config.target.checkpointSchema);
  // The checkpoints are the truth: a commit whose reply was lost to a dropped connection is counted there, not in the events.
  // The target's timeouts lifted first: the count (up to 5M rows) and a keyspace's indexes come next on this session.
  const [, rejects, checkpoints, positionsKept] = await withRunRetries(config, logger, 'reading the checkpoints and rejects',
    () => queryTogether(admin, [liftTimeouts, store.rejectsQuery(runId), store.checkpointsQuery(runId), cdc.positionsKeptQuery()]));
  const rowsCommittedTotal = checkpoints.reduce((sum, checkpoint) => sum + checkpoint.rows, 0);
  const rowsExisting = checkpoints.reduce((sum, checkpoint) => sum + checkpoint.existing, 0);
  // skip and update: the rows it held when the run began, and each row the run brought under a new key.
  const { existingRows } = prepared.plan;
  const expected = existingRows === undefined ? rowsCommittedTotal : existingRows === null ? null : existingRows + rowsCommittedTotal - rowsExisting;
  const doneIds = new Set(checkpoints.filter((checkpoint) => checkpoint.done).map((checkpoint) => checkpoint.splitId));
  const unscanned = ended === 'finished' ? prepared.allSplits.filter((split) => !doneIds.has(split.id)).map((split) => split.id) : [];
  const statusUnlessMiscounted: RunReport['status'] = unscanned.length > 0 ? 'failed' : ended;
  // A live apply writes the table's changes after the copy: the count then says nothing of the checkpoints.
  const applied = ended === 'finished' && positionsKept && await cdc.appliedOnRun(admin, runId);
  const counting = ended === 'finished' && !applied && expected !== null && expected <= CHEAP_COUNT_ROWS;
  const targetRows = counting ? await countAndRecord(input, qualifiedName(prepared.target), expected, statusUnlessMiscounted) : null;
  const countMismatch = targetRows !== null && targetRows !== expected;
  const status: RunReport['status'] = countMismatch ? 'failed' : statusUnlessMiscounted;
  if (!counting) await store.setRunStatus(admin, runId, status).catch((error: unknown) => logger.warn('could not record the run status', { runId, error: messageOf(error) }));
  return { prepared, status, rejects, rowsCommittedTotal, rowsExisting, targetRows, countMismatch, expectedRows: expected, unscanned, splitsDone: doneIds.size, splitsFailed: input.splitsFailed };
}

/** The target's count, and the status it decides recorded with it (failed if it is not `expected`). */
async function countAndRecord(input: TableEndInput, table: string, expected: number, ifCounted: RunReport['status']): Promise<number> {
  const { admin, config, logger, prepared } = input;
  const [counted] = await withRunRetries(config, logger, 'counting the target table and recording the run status',
    () => queryTogether(admin, [prepared.store.countAndRecordStatus(prepared.runId, table, expected, ifCounted)]));
  return counted;
}

/** A keyspace run's table in its report. */
export function tableReport(end: TableEnd, config: C2yConfig, timing: TableTiming, indexes: TableReport['indexes'] | undefined): TableReport {
  const { prepared } = end;
  const seconds = timing.seconds(prepared.runId);
  const rows = end.rowsCommittedTotal - prepared.rowsBefore;
  const valueRejects = end.rejects.filter((row) => row.kind === 'value').length;
  return {
    table: prepared.table.name, target: targetLabel(config, prepared), runId: prepared.runId, status: end.status, resumed: prepared.resumed,
    rows, rowsTotal: end.rowsCommittedTotal, targetRowsCounted: end.targetRows, estimatedRows: prepared.plan.estimatedRows,
    splits: { total: prepared.allSplits.length, done: end.splitsDone, failed: end.splitsFailed },
    seconds: Math.round(seconds * 10) / 10, rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : 0,
    rejects: valueRejects, staticOnlyPartitions: end.rejects.length - valueRejects,
    copyFormat: prepared.copyFormat.format, plannedTaskBytes: prepared.planned.memoryPerTask.total,
    indexes: indexes ?? { created: [], notCreated: [] },
  };
}

/**
 * A finished table's secondary indexes, made now that its rows are in (an index slows every COPY); one that fails is
 * listed with why and the run goes on: the rows are in, and the DDL can be run by hand (c2y schema prints it).
 */
export async function createIndexes(admin: Queryable, plans: readonly IndexPlan[], ends: readonly TableEnd[], log: Logger): Promise<Map<string, TableReport['indexes']>> {
  const out = new Map<string, TableReport['indexes']>();
  for (const end of ends) {
    const name = end.prepared.table.name;
    const created: string[] = [];
    const notCreated: Array<{ name: string; reason: string }> = [];
    for (const plan of plans.filter((p) => p.table === name)) {
      if (plan.ddl === null) notCreated.push({ name: plan.name, reason: plan.reason });
      else if (end.status !== 'finished') notCreated.push({ name: plan.name, reason: 'made once the table has finished: resume the run' });
      else {
        try {
          await admin.query(plan.ddl);
          created.push(plan.name);
          log.info('created index', { table: name, index: plan.name });
        } catch (error) {
          notCreated.push({ name: plan.name, reason: messageOf(error) });
          log.warn('could not create an index; the rows are in, run its DDL by hand (c2y schema --keyspace prints it)', { table: name, index: plan.name, error: messageOf(error) });
        }
      }
    }
    out.set(name, { created, notCreated });
  }
  return out;
}
