import type { C2yConfig } from '../config/index.js';
import { messageOf, pause, runRetryPolicy, withRetries } from '../errors/index.js';
import type { AppliedPosition, StoredExpiry } from '../sink/index.js';
import type { ChangeLine } from './agent-events.js';
import { applyBatch, applyPending, collectBatch, type ApplyBatch, type ApplyContext, type NodeAdvance } from './change-applier.js';
import type { CdcNode, NodeFeed, NodeReader } from './node-reader.js';
import { expiriesOnThisClock, TouchedKeys, type KeyShape } from './touched-keys.js';
import { copiedTtlsToScan, scanCopiedTtls, type CopiedTtls } from './copied-ttls.js';
import { worthApplyingAgain, type TargetSession } from './target-session.js';

/** How far behind the source the target is, and what the apply has done. */
export interface LiveLag {
  /** Changes read from the logs and not yet applied. */
  readonly pendingChanges: number;
  /**
   * Seconds since the moment up to which every write is applied (each node's applied-through, less its commit-log sync
   * period); null until every node has caught up once.
   */
  readonly seconds: number | null;
  readonly appliedChanges: number;
  readonly appliedKeys: number;
  readonly rowsWritten: number;
  readonly unwritable: number;
  /** The scan of the TTLs the bulk copy carried (see cdcScanTtls). */
  readonly copiedTtls: Readonly<CopiedTtls>;
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly appliedThrough: number | null; readonly down: string | null; readonly rawBytes: number; readonly rawLimit: number; readonly read: string; readonly changesRead: number; readonly clockSkewMs: number | null }>;
}

export interface LiveApplyOptions {
  readonly config: C2yConfig;
  readonly nodes: readonly CdcNode[];
  readonly signal: AbortSignal;
  readonly pollMs?: number;
  /** How often a batch is applied while changes come (ms). */
  readonly flushMs?: number;
  /** Keys per batch: a fuller batch is applied at once, and the readers wait for it. */
  readonly batchKeys?: number;
  /** Stop once every node's log is applied up to this moment (ms since the epoch, the nodes' clocks); else run until the signal. */
  readonly until?: number;
  readonly onLag?: (lag: LiveLag) => void;
  /**
   * While the bulk copy runs: only note the changed keys (written once the copy is done) and advance the positions,
   * so the log is consumed and cdc_raw does not fill during a long copy. Expiries wait for the apply.
   */
  readonly collectOnly?: boolean;
  /** Told of each failed step that is tried again (on a new target connection), before the wait. */
  readonly onRetry?: (retry: ApplyRetry) => void;
  /** Told when the apply's run lock is dropped with its connection, and when it is taken again. */
  readonly onLockNote?: (note: string) => void;
}

/** A step of the apply that failed and is tried again: what, which try comes next of how many, in how long, why. */
export interface ApplyRetry {
  readonly what: string;
  readonly attempt: number;
  readonly of: number;
  readonly delayMs: number;
  readonly error: string;
}

/** A batch taken from the readers and not yet committed: tried again as it is, with the positions it was taken at. */
interface InFlight {
  readonly changes: number;
  readonly apply: ApplyBatch;
}

/** What the last commit recorded for a node: a batch is due when a reader has moved past it. */
interface Committed {
  segment: number;
  position: number;
  appliedThrough: number | null;
}

const EXPIRY_CHECK_MS = 1000;

/**
 * Reads every node's log (a NodeReader each) into one batch of touched keys and applies it every flushMs, or at once
 * when it holds batchKeys keys (the readers wait meanwhile: memory stays bounded). Each batch commits every node's
 * position with its changes. A node's applied-through moment (its agent's clock when it last caught up, once every
 * change read before it is applied) gives the lag; the keys whose TTLs ran out are read again with the next batch.
 */
export class LiveApplier {
  private pending: TouchedKeys;
  private readonly shape: KeyShape;
  private readonly readers: NodeReader[];
  private readonly committed = new Map<string, Committed>();
  /** Changes read by each reader that a commit has covered (the rest wait in the batch). */
  private readonly changesCommitted = new Map<string, number>();
  private readonly totals = { changes: 0, keys: 0, rows: 0, unwritable: 0 };
  private batchApplied: () => void = () => undefined;
  private batchDone: Promise<void> = Promise.resolve();
  private nextExpiryCheck = 0;
  private readonly copiedTtls: CopiedTtls = { state: 'off', expiring: 0 };
  private readonly storedSkews = new Map<string, number | null>();
  private inFlight: InFlight | undefined;
  /** Set by a failed step: the next try opens a new target connection first. */
  private reconnect = false;

  /** `feeds`: each node's feed, read by every table's apply (one agent a node for a keyspace's tables). */
  constructor(private readonly context: ApplyContext, private readonly session: TargetSession, private readonly options: LiveApplyOptions, stored: readonly AppliedPosition[], private readonly feeds: ReadonlyMap<string, NodeFeed>) {
    this.shape = { partitionColumns: context.table.partitionKeys.length, clusteringColumns: context.table.clusteringKeys.length };
    this.pending = new TouchedKeys(this.shape);
    for (const position of stored) {
      this.committed.set(position.node, { segment: position.segment, position: position.position, appliedThrough: position.appliedThrough });
      this.storedSkews.set(position.node, position.clockSkewMs);
    }
    this.readers = [];
    this.renewBatchPromise();
  }

  async run(): Promise<LiveLag> {
    const scanTtls = this.options.collectOnly !== true && await this.retrying('read the copied TTLs\' scan state', () => copiedTtlsToScan(this.context, this.options.config, this.session.client));
    if (this.options.collectOnly !== true) await this.retrying('apply the keys changed during the copy', () => this.applyPendingKeys());
    // Stops on the caller's signal, also one that fired while the apply was starting (a listener added after an abort
    // never hears it: the collector of a copy that ended at once ran on unseen), or on a reader's failure.
    const inner = new AbortController();
    const stopped = AbortSignal.any([this.options.signal, inner.signal]);
    let failure: unknown;
    for (const node of this.options.nodes) this.readers.push(this.readerOf(node, stopped));
    const fail = (error: unknown): void => {
      failure ??= error;
      inner.abort();
    };
    const reading = Promise.all(this.readers.map((reader) => reader.run())).catch(fail);
    // Beside the apply: a scan of a large table takes long, and the logs must be consumed meanwhile.
    const scanning = scanTtls ? scanCopiedTtls(this.context, this.options.config, stopped, this.copiedTtls).catch(fail) : Promise.resolve();
    try {
      while (!stopped.aborted) {
        await pause(this.options.flushMs ?? 250, stopped);
        if (stopped.aborted) break;
        await this.retrying('apply a batch of changes', () => this.applyDue());
        const lag = this.lag();
        this.options.onLag?.(lag);
        if (this.options.until !== undefined && this.caughtUpTo(this.options.until)) break;
      }
    } finally {
      inner.abort();
      this.batchApplied();
      await reading;
      await scanning;
    }
    if (failure !== undefined) throw failure;
    return this.lag();
  }

  /** The keys changed while the copy ran come first: the copy may hold an older version of each. */
  private async applyPendingKeys(): Promise<void> {
    const pending = await applyPending(this.context, this.session.client, this.options.batchKeys ?? 2000);
    this.totals.keys += pending.keys;
    this.totals.rows += pending.rowsWritten;
    this.totals.unwritable += pending.unwritable;
  }

  private readerOf(node: CdcNode, signal: AbortSignal): NodeReader {
    const committed = this.committed.get(node.name) ?? { segment: 0, position: 0 };
    const feed = this.feeds.get(node.name);
    if (feed === undefined) throw new Error(`no feed reads ${node.name}`);
    return feed.reader({
      table: this.options.config.source.table, from: { segment: committed.segment, position: committed.position }, signal,
      ready: async () => {
        while (this.pending.size >= (this.options.batchKeys ?? 2000) && !signal.aborted) await this.batchDone;
      },
      onChange: (change: ChangeLine) => this.pending.add(change),
    });
  }

  /**
   * Runs a step of the apply, tried again on a new target connection after a failure another try may cure (see
   * worthApplyingAgain), by the run's retry policy, until the signal: a target that restarts or fails over, or a
   * source read that times out, does not end a live apply that runs for hours.
   */
  private retrying<T>(what: string, step: () => Promise<T>): Promise<T> {
    const { config } = this.options;
    return withRetries(runRetryPolicy(config), config.maxRetries + 1, () => this.session.exclusive(async () => {
      if (this.reconnect) {
        await this.session.reopen();
        this.reconnect = false;
      }
      return step();
    }), {
      retryable: worthApplyingAgain, signal: this.options.signal,
      onRetry: ({ retry, delayMs, error }) => {
        this.reconnect = true;
        this.options.onRetry?.({ what, attempt: retry + 1, of: config.maxRetries + 1, delayMs, error: messageOf(error) });
      },
    });
  }

  /**
   * Applies the batch in flight, or takes one if it holds changes, a reader moved, or expiries fell due; then releases
   * applied segments. A batch that failed stays in flight and is applied as it was (same keys, same positions).
   */
  private async applyDue(): Promise<void> {
    this.inFlight ??= await this.takeBatch();
    const batch = this.inFlight;
    if (batch === undefined) return;
    const outcome = await (this.options.collectOnly === true ? collectBatch : applyBatch)(this.context, this.session.client, batch.apply);
    this.inFlight = undefined;
    this.totals.changes += batch.changes;
    this.totals.keys += outcome.keys;
    this.totals.rows += outcome.rowsWritten;
    this.totals.unwritable += outcome.unwritable;
    for (const advance of batch.apply.advances) {
      this.committed.set(advance.node, { segment: advance.segment, position: advance.position, appliedThrough: advance.appliedThrough });
      this.changesCommitted.set(advance.node, (this.changesCommitted.get(advance.node) ?? 0) + advance.changes);
    }
    await this.releaseSegments();
    this.batchApplied();
    this.renewBatchPromise();
  }

  /** The readers' batch and the positions it reaches, taken at once so the two agree; undefined when nothing is due. */
  private async takeBatch(): Promise<InFlight | undefined> {
    const due = this.options.collectOnly === true ? [] : await this.dueExpiries();
    const advances = this.readers.map((reader) => this.advanceOf(reader));
    const moved = advances.some((advance) => this.hasMoved(advance));
    if (this.pending.changes === 0 && due.length === 0 && !moved) return undefined;
    const batch = this.pending;
    this.pending = new TouchedKeys(this.shape);
    for (const expiry of due) batch.addDue(expiry.clustering === null ? { key: expiry.key } : { key: expiry.key, clustering: expiry.clustering });
    return {
      changes: batch.changes,
      apply: { reads: batch.reads(), expiries: expiriesOnThisClock(batch.expiries(), this.readers.map((reader) => this.skewOf(reader))), dueIds: due.map((expiry) => expiry.id as string), advances },
    };
  }

  /** Expiries that fell due, looked for once a second (and at once again while a full batch of them was due). */
  private async dueExpiries(): Promise<StoredExpiry[]> {
    const now = Date.now();
    if (now < this.nextExpiryCheck) return [];
    const limit = this.options.batchKeys ?? 2000;
    // A second after Cassandra's own expiry: a read at the very second could still see the cell.
    const due = await this.context.store.dueExpiries(this.session.client, this.context.stream, Math.floor(now / 1000) - 1, limit);
    this.nextExpiryCheck = due.length >= limit ? 0 : now + EXPIRY_CHECK_MS;
    return due;
  }

  /**
   * Tells each agent the segments before which every live migration recorded here has applied its node's log (not
   * only this one's: two tables' applies read the same cdc_raw), unless the user keeps segments (cdcReleaseSegments).
   */
  private async releaseSegments(): Promise<void> {
    if (!this.options.config.cdcReleaseSegments) return;
    const floors = await this.context.store.appliedFloors(this.session.client);
    for (const reader of this.readers) {
      const floor = floors.get(reader.state.node);
      if (floor !== undefined) reader.release(floor);
    }
  }

  /** What a commit now would record for a reader: taken at once with the batch, so the two agree. */
  private advanceOf(reader: NodeReader): NodeAdvance {
    const previous = this.committed.get(reader.state.node);
    return {
      node: reader.state.node, segment: reader.state.read.segment, position: reader.state.read.position,
      changes: reader.state.changesRead - (this.changesCommitted.get(reader.state.node) ?? 0),
      appliedThrough: reader.state.caughtUpAt ?? previous?.appliedThrough ?? null, syncMs: reader.state.syncMs, clockSkewMs: this.skewOf(reader),
    };
  }

  /** A node's clock skew: as measured now, else as the last run measured it (a reader reading a backlog has none yet). */
  private skewOf(reader: NodeReader): number | null {
    return reader.state.clockSkewMs ?? this.storedSkews.get(reader.state.node) ?? null;
  }

  private hasMoved(advance: NodeAdvance): boolean {
    const previous = this.committed.get(advance.node);
    return previous === undefined || previous.segment !== advance.segment || previous.position !== advance.position || previous.appliedThrough !== advance.appliedThrough;
  }

  /** Every node's log is applied up to `until` (the nodes' clocks) and the copied TTLs' scan is not running. */
  caughtUpTo(until: number): boolean {
    return this.copiedTtls.state !== 'scanning' && this.reached(until);
  }

  private reached(until: number): boolean {
    return this.pending.changes === 0 && this.readers.every((reader) => (this.committed.get(reader.state.node)?.appliedThrough ?? 0) >= until);
  }

  lag(): LiveLag {
    // Each node's applied-through on this machine's clock, less its sync period: a write acknowledged up to that long
    // before an agent caught up may not have been in the log it read.
    const through = this.readers.map((reader) => {
      const at = this.committed.get(reader.state.node)?.appliedThrough ?? null;
      return at === null ? null : at + (reader.state.clockSkewMs ?? 0) - (reader.state.syncMs ?? 0);
    });
    const oldest = through.some((at) => at === null) ? null : Math.min(...(through as number[]));
    return {
      pendingChanges: this.pending.changes, seconds: oldest === null ? null : Math.max(0, (Date.now() - oldest) / 1000),
      appliedChanges: this.totals.changes, appliedKeys: this.totals.keys, rowsWritten: this.totals.rows, unwritable: this.totals.unwritable, copiedTtls: { ...this.copiedTtls },
      nodes: this.readers.map((reader, index) => ({ name: reader.state.node, appliedThrough: through[index] ?? null, down: reader.state.down, rawBytes: reader.state.rawBytes, rawLimit: reader.state.rawLimit, read: `${reader.state.read.segment}:${reader.state.read.position}`, changesRead: reader.state.changesRead, clockSkewMs: reader.state.clockSkewMs })),
    };
  }

  private renewBatchPromise(): void {
    this.batchDone = new Promise<void>((resolve) => (this.batchApplied = resolve));
  }
}

/** The lag of several tables' applies as one: the oldest applied-through of each node, the counts summed. */
export function lagOfAll(appliers: readonly LiveApplier[]): LiveLag {
  const lags = appliers.map((applier) => applier.lag());
  const sum = (figure: (lag: LiveLag) => number): number => lags.reduce((total, lag) => total + figure(lag), 0);
  const seconds = lags.map((lag) => lag.seconds);
  const ttlStates = lags.map((lag) => lag.copiedTtls.state);
  const nodes = (lags[0]?.nodes ?? []).map((node) => {
    const same = lags.map((lag) => lag.nodes.find((other) => other.name === node.name) ?? node);
    const through = same.map((other) => other.appliedThrough);
    return { ...node, appliedThrough: through.some((at) => at === null) ? null : Math.min(...(through as number[])), changesRead: same.reduce((total, other) => total + other.changesRead, 0) };
  });
  return {
    pendingChanges: sum((lag) => lag.pendingChanges), seconds: seconds.some((at) => at === null) ? null : Math.max(0, ...(seconds as number[])),
    appliedChanges: sum((lag) => lag.appliedChanges), appliedKeys: sum((lag) => lag.appliedKeys), rowsWritten: sum((lag) => lag.rowsWritten), unwritable: sum((lag) => lag.unwritable),
    copiedTtls: { state: ttlStates.includes('scanning') ? 'scanning' : ttlStates.includes('done') ? 'done' : 'off', expiring: sum((lag) => lag.copiedTtls.expiring) },
    nodes,
  };
}
