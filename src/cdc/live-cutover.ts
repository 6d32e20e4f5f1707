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
  /** The live-migrated table, or each live-migrated table of a keyspace: one freeze for all of them. */
  readonly configs: readonly C2yConfig[];
  /** Refused above this lag: a freeze would last about as long. */
  readonly maxLagSeconds: number;
  /** Added to each node's sync period when waiting for the apply to pass the freeze: clocks of this machine and the nodes differ. */
  readonly clockMarginMs: number;
  /** How long the apply may take to pass the freeze before the cut-over gives up (and says to unfreeze). */
  readonly drainTimeoutMs: number;
  readonly freeze: (expectedSeconds: number) => Promise<void>;
  readonly onStep?: (text: string) => void;
}

/** A difference the cut-over found, with its table (source name). */
export type TableDifference = KeyDifference & { readonly table: string };

/** What the cut-over checked of one table. */
export interface TableCutover {
  readonly table: string;
  readonly keysBefore: number;
  readonly keysDuring: number;
  readonly differences: number;
  readonly counts: { readonly source: number; readonly target: number };
}

export interface LiveCutoverResult {
  /** The largest of the tables' lags when the cut-over began. */
  readonly lagSeconds: number;
  /** Before the freeze: every key written since the copy began, checked (those still changing are read again in it). */
  readonly before: { readonly keys: number; readonly stillChanging: number; readonly seconds: number };
  /** From the confirmed freeze to the end of the checks: how long the application could not write. */
  readonly freezeSeconds: number;
  /** How long the applies took to pass the freeze (the nodes' sync period and the last batch). */
  readonly drainSeconds: number;
  /** In the freeze: the keys written since the first check, and those that differed then. */
  readonly during: { readonly keys: number; readonly differences: readonly TableDifference[] };
  /** Rows of every table, summed. */
  readonly counts: { readonly source: number; readonly target: number };
  /** The first 100 differences. */
  readonly differences: readonly TableDifference[];
  readonly tables: readonly TableCutover[];
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

/** A table being cut over: its stream, how to read it on both sides, and what the check before the freeze found. */
interface TableCut {
  readonly config: C2yConfig;
  readonly stream: string;
  readonly context: ApplyContext;
  before?: KeyCheck;
}

/**
 * A cut-over of a live migration (one table, or a keyspace's with one freeze): refused unless every table's apply
 * runs with a small lag; every key written since the copy began is checked before the freeze; once writes are
 * frozen, waits until each node's apply of each table has passed the freeze (by its commit-log sync period), checks
 * the keys written since the first check (and any that differed then), and counts every table in full. "Switch" only
 * when nothing differs.
 */
export async function liveCutover(options: LiveCutoverOptions): Promise<LiveCutoverResult> {
  const first = options.configs[0] as C2yConfig;
  const store = new CdcStore(first.target.checkpointSchema);
  const cassandra = await openCassandra(sessionOptionsOf(first.source));
  try {
    const target = await openTarget(firstTargetEndpoint(first.target), first.target, 'c2y cutover');
    try {
      await store.ensureTables(target, first.target.checkpointSchema);
      const cuts: TableCut[] = [];
      let lagSeconds = 0;
      for (const config of options.configs) {
        const stream = cdcStreamId(config);
        const running = await runningApply(store, target, { stream, targetId: lockTarget(config) }, options.maxLagSeconds);
        lagSeconds = Math.max(lagSeconds, running.lagSeconds);
        cuts.push({ config, stream, context: await applyContext(config, cassandra, (running.positions[0] as AppliedPosition).runId) });
      }
      const firstCheckAt = await store.nowMs(target);
      const before = await checkBefore(store, target, cuts);
      options.onStep?.(`checked the ${before.keys} key(s) written since the copy began in ${before.seconds.toFixed(1)} s (${before.stillChanging} still changing); lag ${lagSeconds.toFixed(1)} s`);
      await options.freeze(lagSeconds + 2);
      return { lagSeconds, before, ...await inTheFreeze(store, target, cuts, firstCheckAt, options) };
    } finally {
      await target.end().catch(() => undefined);
    }
  } finally {
    await cassandra.shutdown().catch(() => undefined);
  }
}

/** Before the freeze: every key of every table written since the copy began. */
async function checkBefore(store: CdcStore, target: TargetClient, cuts: TableCut[]): Promise<LiveCutoverResult['before']> {
  const started = performance.now();
  let keys = 0;
  let stillChanging = 0;
  for (const cut of cuts) {
    cut.before = await checkKeys(cut.context, target, touched(store.touchedSince(target, cut.stream, 0, CHECK_BATCH)));
    keys += cut.before.keys;
    stillChanging += cut.before.differing.length;
  }
  return { keys, stillChanging, seconds: (performance.now() - started) / 1000 };
}

/** Writes are frozen: the sources counted while the applies drain, then each table's keys checked again and counted. */
async function inTheFreeze(store: CdcStore, target: TargetClient, cuts: readonly TableCut[], firstCheckAt: number, options: LiveCutoverOptions): Promise<Omit<LiveCutoverResult, 'lagSeconds' | 'before'>> {
  const frozenAt = Date.now();
  // At source.consistency, as the copy read them.
  const sourceCounts = cuts.map((cut) => countRows(cut.context.cassandra, cut.context.table, consistencyCode(cut.config.source.consistency)));
  for (const count of sourceCounts) count.catch(() => undefined);
  for (const cut of cuts) await drain(store, target, cut.stream, frozenAt, options);
  const drainSeconds = (Date.now() - frozenAt) / 1000;
  const tables: TableCutover[] = [];
  const differences: TableDifference[] = [];
  let keys = 0;
  for (const [index, cut] of cuts.entries()) {
    const during = await checkKeys(cut.context, target, touched(store.touchedSince(target, cut.stream, firstCheckAt, CHECK_BATCH), cut.before?.differing));
    const counts = { source: await (sourceCounts[index] as Promise<number>), target: await targetCount(target, cut.context) };
    const table = cut.config.source.table;
    differences.push(...during.differences.map((difference) => ({ ...difference, table })));
    keys += during.keys;
    tables.push({ table, keysBefore: cut.before?.keys ?? 0, keysDuring: during.keys, differences: during.differences.length, counts });
  }
  const counts = { source: tables.reduce((sum, t) => sum + t.counts.source, 0), target: tables.reduce((sum, t) => sum + t.counts.target, 0) };
  const switchNow = differences.length === 0 && tables.every((t) => t.counts.source === t.counts.target);
  return { freezeSeconds: (Date.now() - frozenAt) / 1000, drainSeconds, during: { keys, differences }, counts, differences: differences.slice(0, 100), tables, switchNow };
}
