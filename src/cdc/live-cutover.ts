import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { qualifiedName } from '../schema/index.js';
import { CdcStore, firstTargetEndpoint, openTarget, RunLock, type AppliedPosition, type TargetClient, type TouchedRow } from '../sink/index.js';
import { consistencyCode, countRows, openCassandra, sessionOptionsOf } from '../source/index.js';
import type { ApplyContext } from './change-applier.js';
import { CHECK_BATCH, checkKeys, type KeyCheck, type KeyDifference } from './key-check.js';
import { applyContext, cdcStreamId, lockTarget } from './live-apply.js';
import type { TouchedKey } from './touched-keys.js';

export interface LiveCutoverOptions {
  readonly config: C2yConfig;
  /** Refused above this lag: a freeze would last about as long. */
  readonly maxLagSeconds: number;
  /** Added to each node's sync period when waiting for the apply to pass the freeze: clocks of this machine and the nodes differ. */
  readonly clockMarginMs: number;
  /** How long the apply may take to pass the freeze before the cut-over gives up (and says to unfreeze). */
  readonly drainTimeoutMs: number;
  readonly freeze: (expectedSeconds: number) => Promise<void>;
  readonly onStep?: (text: string) => void;
}

export interface LiveCutoverResult {
  readonly lagSeconds: number;
  /** Before the freeze: every key written since the copy began, checked (differences there are read again in it). */
  readonly before: KeyCheck & { readonly seconds: number };
  /** From the confirmed freeze to the end of the checks: how long the application could not write. */
  readonly freezeSeconds: number;
  /** How long the apply took to pass the freeze (the nodes' sync period and the last batch). */
  readonly drainSeconds: number;
  /** In the freeze: the keys written since the first check, and those that differed then. */
  readonly during: KeyCheck;
  readonly counts: { readonly source: number; readonly target: number };
  readonly differences: readonly KeyDifference[];
  readonly switchNow: boolean;
}

/** Past this, a node's clock and the applying machine's are refused as too far apart for a freeze to be timed. */
const MAX_CLOCK_SKEW_MS = 30_000;

/**
 * A node's applied-through on this machine's clock: the apply measured that node's skew to its own clock (a cut-over
 * runs where the apply runs, or on a clock synchronized with it; --clock-margin-ms covers what is left).
 */
function onThisClock(position: AppliedPosition): number {
  return (position.appliedThrough ?? 0) + (position.clockSkewMs ?? 0);
}

/** How recently every node's apply must have committed for it to count as running. */
const RUNNING_WITHIN_MS = 15_000;

/** The apply's positions, refused unless it runs (every node committed lately) with a lag under the limit. */
async function runningApply(store: CdcStore, target: TargetClient, ids: { stream: string; targetId: string }, maxLagSeconds: number): Promise<{ positions: AppliedPosition[]; lagSeconds: number }> {
  const { stream, targetId } = ids;
  const positions = await store.readPositions(target, stream);
  if (positions.length === 0) {
    throw new C2yError('CUTOVER_NOT_READY', `no live migration of ${stream}`, { hint: 'start one with c2y migrate --live, or cut over by scan: c2y cutover without --live' });
  }
  const now = await store.nowMs(target);
  // The apply holds the table's run lock while it runs (released at once by the server if it dies).
  const running = await RunLock.isHeld(target, targetId);
  const stale = positions.filter((position) => !running || now - position.updatedAt.getTime() > RUNNING_WITHIN_MS || position.appliedThrough === null);
  if (stale.length > 0) {
    throw new C2yError('CUTOVER_NOT_READY', `the live apply is not running for ${stale.map((position) => position.node).join(', ')} (no commit in the last ${RUNNING_WITHIN_MS / 1000} s): their changes would not reach the target`, {
      hint: 'start it again (c2y migrate --live --resume, naming every --cdc-node) and wait until its lag is small',
    });
  }
  const skewed = positions.filter((position) => Math.abs(position.clockSkewMs ?? 0) > MAX_CLOCK_SKEW_MS);
  if (skewed.length > 0) {
    throw new C2yError('CUTOVER_NOT_READY', `the clocks of ${skewed.map((position) => `${position.node} (${String(position.clockSkewMs)} ms)`).join(', ')} and of the machine that applies differ by more than ${MAX_CLOCK_SKEW_MS / 1000} s: when the apply has passed a freeze cannot be told`, {
      hint: 'synchronize the clocks (NTP) of the Cassandra nodes and of the machine running c2y migrate --live, then run c2y cutover --live again',
    });
  }
  const lagSeconds = Math.max(0, (Date.now() - Math.min(...positions.map(onThisClock))) / 1000);
  if (lagSeconds > maxLagSeconds) {
    throw new C2yError('CUTOVER_NOT_READY', `the live apply is ${lagSeconds.toFixed(1)} s behind, more than the ${maxLagSeconds} s allowed; a freeze now would last about as long`, {
      hint: 'wait until the lag shown by c2y migrate --live is small, or allow more with --max-lag-seconds',
    });
  }
  return { positions, lagSeconds };
}

/** Waits until every node's apply has passed `frozenAt` by its sync period and the margin: all writes before it are applied. */
async function drain(store: CdcStore, target: TargetClient, stream: string, frozenAt: number, options: LiveCutoverOptions): Promise<void> {
  const deadline = Date.now() + options.drainTimeoutMs;
  for (;;) {
    const positions = await store.readPositions(target, stream);
    const behind = positions.filter((position) => onThisClock(position) < frozenAt + (position.syncMs ?? 10_000) + options.clockMarginMs);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new C2yError('CUTOVER_NOT_READY', `the live apply of ${behind.map((position) => position.node).join(', ')} did not pass the freeze within ${options.drainTimeoutMs / 1000} s: do not switch`, {
        hint: 'let the application write again; check that c2y migrate --live is running and its lag, then run c2y cutover --live again',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function targetCount(target: TargetClient, context: ApplyContext): Promise<number> {
  const result = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(context.targetName)}`);
  return Number(result.rows[0]?.n ?? 0);
}

/** The store's pages of touched keys as the check takes them, then any keys given besides. */
async function* touched(pages: AsyncIterable<readonly TouchedRow[]>, besides: readonly TouchedKey[] = []): AsyncGenerator<TouchedKey[]> {
  for await (const rows of pages) yield rows.map((row) => (row.clustering === null ? { key: row.key } : { key: row.key, clustering: row.clustering }));
  if (besides.length > 0) yield [...besides];
}

/**
 * A cut-over of a live migration: refused unless the apply runs with a small lag; every key written since the copy
 * began is checked before the freeze; once writes are frozen, waits until each node's apply has passed the freeze (by
 * its commit-log sync period), checks the keys written since the first check (and any that differed then), and
 * counts both tables in full. "Switch" only when nothing differs.
 */
export async function liveCutover(options: LiveCutoverOptions): Promise<LiveCutoverResult> {
  const { config } = options;
  const store = new CdcStore(config.target.checkpointSchema);
  const stream = cdcStreamId(config);
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  try {
    const target = await openTarget(firstTargetEndpoint(config.target), config.target, 'c2y cutover');
    try {
      await store.ensureTables(target, config.target.checkpointSchema);
      const { lagSeconds, positions } = await runningApply(store, target, { stream, targetId: lockTarget(config) }, options.maxLagSeconds);
      const context = await applyContext(config, cassandra, (positions[0] as AppliedPosition).runId);
      const firstCheckAt = await store.nowMs(target);
      const checkStarted = performance.now();
      const allKeys = touched(store.touchedSince(target, stream, 0, CHECK_BATCH));
      const before = { ...await checkKeys(context, target, allKeys), seconds: (performance.now() - checkStarted) / 1000 };
      options.onStep?.(`checked the ${before.keys} key(s) written since the copy began in ${before.seconds.toFixed(1)} s (${before.differences.length} still changing); lag ${lagSeconds.toFixed(1)} s`);
      await options.freeze(lagSeconds + 2);
      const frozenAt = Date.now();
      // The source is counted while the apply drains (writes are frozen): at source.consistency, as the copy read it.
      const sourceCount = countRows(cassandra, context.table, consistencyCode(config.source.consistency));
      sourceCount.catch(() => undefined);
      await drain(store, target, stream, frozenAt, options);
      const drainSeconds = (Date.now() - frozenAt) / 1000;
      const recheck = touched(store.touchedSince(target, stream, firstCheckAt, CHECK_BATCH), before.differing);
      const during = await checkKeys(context, target, recheck);
      const counts = { source: await sourceCount, target: await targetCount(target, context) };
      const freezeSeconds = (Date.now() - frozenAt) / 1000;
      const switchNow = during.differences.length === 0 && counts.source === counts.target;
      return { lagSeconds, before, freezeSeconds, drainSeconds, during, counts, differences: during.differences.slice(0, 100), switchNow };
    } finally {
      await target.end().catch(() => undefined);
    }
  } finally {
    await cassandra.shutdown().catch(() => undefined);
  }
}
