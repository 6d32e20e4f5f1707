import { C2yError } from '../errors/index.js';
import { createLogger, type RunReport } from '../observe/index.js';
import { CheckpointStore, openTarget, firstTargetEndpoint } from '../sink/index.js';
import { openCassandra, sessionOptionsOf } from '../source/index.js';
import { migrate, type MigrateOptions } from './migrate.js';
import { validateRun, type ValidateSummary } from './validate-run.js';
import type { DifferenceCounts } from './validate-table.js';

export interface CatchupOptions extends MigrateOptions {
  /** Taken off the cut-off for clocks: Cassandra's write times come from its clients, the run's start from the target. */
  readonly marginSeconds: number;
  /** validate's hash buckets for the pass that finds deleted rows. */
  readonly buckets: number;
}

/** One catch-up pass: its scan (rows written since the cut-off) and its validate (rows deleted since, and the rest). */
export interface CatchupResult {
  readonly report: RunReport;
  readonly runFolder: string;
  readonly scanSeconds: number;
  /** null when the scan did not finish (its report says why): nothing is validated then. */
  readonly validate: CatchupValidate | null;
}

/** The pass's validate: its summary, what it found before repairing (extra: rows deleted from the source), its time. */
export type CatchupValidate = ValidateSummary & { readonly found: DifferenceCounts; readonly seconds: number };

/**
 * A catch-up pass without CDC: a run that reads the whole table once and writes (upserts, in the transaction of its
 * checkpoint) the rows written since the newest finished run began; then validate with repair, which finds by its
 * digests and drill-down the keys the source no longer has and deletes them, and fixes anything else that differs
 * (a cell that expired, a row written while the pass read). Each part's time is reported, so the user can see
 * whether a pass is short enough to freeze writes for.
 */
export async function catchup(options: CatchupOptions): Promise<CatchupResult> {
  const { config } = options.loaded;
  if (options.restart) throw new C2yError('CONFIG_INVALID', 'catchup never empties the target: --restart is for migrate', { hint: 'drop --restart; c2y migrate --restart starts a bulk copy over' });
  if (config.target.onExisting === 'skip') throw new C2yError('CONFIG_INVALID', 'catchup updates the rows it writes: target.onExisting skip would keep stale rows', { hint: 'drop target.onExisting (catchup always updates)', context: { key: 'target.onExisting' } });
  const loaded = { ...options.loaded, config: { ...config, target: { ...config.target, onExisting: 'update' as const } } };
  const scanStarted = performance.now();
  const { report, runFolder } = await migrate({ ...options, loaded, catchup: { marginSeconds: options.marginSeconds } });
  const scanSeconds = (performance.now() - scanStarted) / 1000;
  if (report.status !== 'finished') return { report, runFolder, scanSeconds, validate: null };
  return { report, runFolder, scanSeconds, validate: await deletionPass(options, report.runId, scanSeconds) };
}

/** validate --repair on the table the scan brought up to date: its extra rows are the ones deleted since. */
async function deletionPass(options: CatchupOptions, runId: string, scanSeconds: number): Promise<CatchupValidate> {
  const { config } = options.loaded;
  const secrets = [config.source.password, config.target.password, config.uiToken].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const logger = createLogger({ json: options.jsonLog, level: config.logLevel, secrets, ...(options.logLine ? { write: options.logLine } : {}) });
  const endpoint = firstTargetEndpoint(config.target);
  const started = performance.now();
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  try {
    // 'all': it validates and repairs the whole table on this session, as validate --repair does.
    const target = await openTarget(endpoint, config.target, 'c2y catchup', 'all');
    try {
      const { summary, result } = await validateRun({
        config, cassandra, target, buckets: options.buckets, repair: true, validateId: `validate-${runId}`,
        signal: options.signal, logger, secrets, ...(options.watch ? { watch: options.watch } : {}),
      });
      const seconds = (performance.now() - started) / 1000;
      // What a freeze for a pass like this one would last: `c2y cutover` checks it before asking for one.
      await new CheckpointStore(config.target.checkpointSchema).recordPassSeconds(target, runId, scanSeconds + seconds);
      return { ...summary, found: result.counts, seconds };
    } finally {
      await target.end().catch(() => undefined);
    }
  } finally {
    await cassandra.shutdown().catch(() => undefined);
  }
}

/** Differences left after the pass's repair: none when the target matches the source as it was read. */
export function catchupDifferences(result: CatchupResult): number {
  const summary = result.validate;
  if (!summary) return 0;
  return summary.afterRepair?.differences ?? summary.differences;
}
