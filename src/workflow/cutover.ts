import { C2yError } from '../errors/index.js';
import { CheckpointStore, openTarget, firstTargetEndpoint, type Queryable } from '../sink/index.js';
import { catchup, catchupDifferences, type CatchupOptions, type CatchupResult } from './catchup.js';
import { runIdentity } from './prepare-run.js';

export interface CutoverOptions extends CatchupOptions {
  /** The longest freeze the user accepts: the last pass must have taken no longer, or the cut-over is refused. */
  readonly maxFreezeSeconds: number;
  /** Says "freeze writes now" and resolves once the writes are frozen (the operator confirmed, or said so up front). */
  readonly freeze: (expectedSeconds: number) => Promise<void>;
}

export interface CutoverResult {
  /** The newest finished pass's time (a catch-up's scan and validate; a bulk run's whole run): the freeze expected. */
  readonly lastPassSeconds: number;
  readonly lastRunId: string;
  /** From the confirmed freeze to the end of the final pass: how long the application could not write. */
  readonly freezeSeconds: number;
  readonly pass: CatchupResult;
  /** The target matched the source when the final pass ended: switch the application over. */
  readonly switchNow: boolean;
}

/**
 * A cut-over by scan: refused unless the last pass was short enough to freeze for; then, once writes are frozen, one
 * final catch-up pass (written since, deletes, validate with repair and a full count on both sides); "switch" only
 * when nothing differs. The freeze is timed from the confirmation to the end of the pass.
 */
export async function cutover(options: CutoverOptions): Promise<CutoverResult> {
  const last = await lastPass(options);
  if (last.seconds > options.maxFreezeSeconds) {
    throw new C2yError('CUTOVER_NOT_READY', `the last pass (run ${last.runId}) took ${last.seconds.toFixed(1)} s, more than the ${options.maxFreezeSeconds} s freeze allowed; a freeze now would last about as long`, {
      hint: 'run c2y catchup again until a pass is short enough (each pass has less to write), or allow a longer freeze with --max-freeze-seconds',
    });
  }
  await options.freeze(last.seconds);
  const frozenAt = performance.now();
  const pass = await catchup(options);
  const freezeSeconds = (performance.now() - frozenAt) / 1000;
  const switchNow = pass.report.status === 'finished' && pass.validate !== null && catchupDifferences(pass) === 0;
  return { lastPassSeconds: last.seconds, lastRunId: last.runId, freezeSeconds, pass, switchNow };
}

/** The newest finished run's time; none, or one still unfinished, refuses the cut-over. */
async function lastPass(options: CutoverOptions): Promise<{ runId: string; seconds: number }> {
  const { config } = options.loaded;
  const endpoint = firstTargetEndpoint(config.target);
  const target = await openTarget(endpoint, config.target, 'c2y cutover');
  try {
    return await newestPass(target, new CheckpointStore(config.target.checkpointSchema), runIdentity(config));
  } finally {
    await target.end().catch(() => undefined);
  }
}

async function newestPass(db: Queryable, store: CheckpointStore, ids: { sourceId: string; targetId: string }): Promise<{ runId: string; seconds: number }> {
  const unfinished = await store.findUnfinishedRun(db, ids.sourceId, ids.targetId).catch(() => undefined);
  if (unfinished) {
    throw new C2yError('CUTOVER_NOT_READY', `run ${unfinished.runId} of ${ids.sourceId} → ${ids.targetId} has not finished`, { hint: 'finish it first (c2y migrate --resume, or c2y catchup --resume)' });
  }
  const finished = await store.findLatestFinishedRun(db, ids.sourceId, ids.targetId).catch(() => undefined);
  if (!finished) {
    throw new C2yError('CUTOVER_NOT_READY', `no finished run of ${ids.sourceId} → ${ids.targetId}`, { hint: 'run c2y migrate, then c2y catchup until a pass is short enough to freeze writes for' });
  }
  // Only a catch-up pass measures what the freeze holds: its scan and its validate (a bulk run never validates).
  const recorded = (finished.plan as { passSeconds?: unknown }).passSeconds;
  if (typeof recorded !== 'number') {
    throw new C2yError('CUTOVER_NOT_READY', `the newest finished run of ${ids.sourceId} → ${ids.targetId} (${finished.runId}) is not a catch-up pass: how long a freeze would last is not known`, {
      hint: 'run c2y catchup first (again if its pass took longer than you can freeze writes for)',
    });
  }
  return { runId: finished.runId, seconds: recorded };
}
