import type { C2yConfig } from '../config/index.js';
import { rangeAfter, type ReplicatedRange, type Split } from '../plan/index.js';
import type { SplitPoint } from '../sink/index.js';
import { scanPartitionTail, scanRanges, type KeyCodec, type ScanPage } from '../source/index.js';
import { LatencyHistogram, type StreamTiming } from '../telemetry/index.js';
import type { TaskContext } from './split-task.js';

/** Rows per page: two pages (current + prefetched) must fit in copyBufferSize, the task's memory bound. */
export function effectiveFetchSize(config: C2yConfig): number {
  return Math.max(1, Math.min(config.source.fetchSize, Math.floor(config.copyBufferSize / 2)));
}

/** The split's rows after a checkpoint: the rest of a part-committed partition first, then the ranges after its token. */
export async function* scanFrom(context: TaskContext, split: Split, from: SplitPoint, attempt: number, codec: KeyCodec | undefined, streamPageRead: LatencyHistogram): AsyncGenerator<ScanPage, void, undefined> {
  const options = {
    ...(context.rawPages === undefined ? {} : { rawPages: context.rawPages }),
    client: context.cassandra, table: context.table, fetchSize: effectiveFetchSize(context.config), consistency: context.consistency,
    replicaOffset: split.id + attempt, addressMap: context.config.source.addressMap, readTimeoutMs: context.config.source.readTimeoutMs, filterCql: context.selection.filter?.cql,
    onPageRetry: (retry: { attempt: number; replica: string | null; error: string }) => context.emit({ type: 'page-retry', splitId: split.id, ...retry, executor: context.executor }),
    onPageRead: (ms: number) => {
      context.latency.pageRead.record(ms);
      streamPageRead.record(ms);
    },
  };
  if (from.position !== null && from.token !== null && codec) {
    const token = from.token;
    const replicas = split.ranges.find((range) => range.start < token && token <= range.end)?.replicas ?? [];
    yield* scanPartitionTail({ ...options, ranges: [] }, { token, position: from.position, codec, replicas });
  }
  yield* scanRanges({ ...options, ranges: remainingRanges(split, from.token) });
}

/** The scan's pages, the wait for each counted as waiting on Cassandra; a consumer that stops closes the scan. */
export async function* timedPages(scan: AsyncGenerator<ScanPage, void, undefined>, timing: StreamTiming): AsyncGenerator<ScanPage, void, undefined> {
  try {
    for (;;) {
      const started = performance.now();
      const next = await scan.next();
      timing.sourceWaitMs += performance.now() - started;
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await scan.return(undefined);
  }
}

/** The split's ranges after the last committed token. */
export function remainingRanges(split: Split, lastToken: bigint | null): ReplicatedRange[] {
  if (lastToken === null) return [...split.ranges];
  const out: ReplicatedRange[] = [];
  for (const range of split.ranges) {
    const rest = rangeAfter(range, lastToken);
    if (rest) out.push({ ...rest, replicas: range.replicas });
  }
  return out;
}

/**
 * A split's scan from its first token, its first page asked for as the split starts: over a WAN that read is a
 * round trip, taken beside the target connection and checkpoint read instead of after them. The split's stream
 * takes it only if the checkpoint says the split has not begun; otherwise (a resumed or finished split) it is dropped.
 */
export class EarlyScan {
  /** The stream's page-read latencies: the early scan's pages are the stream's. */
  readonly pageRead = new LatencyHistogram();
  private started: { scan: AsyncGenerator<ScanPage, void, undefined>; first: Promise<IteratorResult<ScanPage, void>> } | undefined;
  private firstAnswered = false;

  constructor(context: TaskContext, split: Split, attempt: number) {
    const scan = scanFrom(context, split, { token: null, position: null }, attempt, undefined, this.pageRead);
    const first = scan.next();
    // Heard by the stream that takes it; a dropped scan's failure concerns no one.
    first.then(() => (this.firstAnswered = true), () => (this.firstAnswered = true));
    this.started = { scan, first };
  }

  /** The first page (or the scan's end or failure) is in: a stream that takes the scan now has rows at once, if any. */
  get firstPageIn(): boolean {
    return this.firstAnswered;
  }

  /** The scan, from its first page, if the split starts at its first token and no one took it yet; else undefined (and it is dropped). */
  take(from: SplitPoint): AsyncGenerator<ScanPage, void, undefined> | undefined {
    const started = this.started;
    if (started === undefined || from.token !== null || from.position !== null) {
      this.drop();
      return undefined;
    }
    this.started = undefined;
    return fromFirst(started.scan, started.first);
  }

  /** Ends the scan if no stream took it (its first page, once read, is left to the collector). */
  drop(): void {
    const started = this.started;
    this.started = undefined;
    // Unwaited: an async generator ends only once its pending read has answered.
    if (started !== undefined) void started.scan.return(undefined).catch(() => undefined);
  }
}

async function* fromFirst(scan: AsyncGenerator<ScanPage, void, undefined>, first: Promise<IteratorResult<ScanPage, void>>): AsyncGenerator<ScanPage, void, undefined> {
  try {
    for (let next = await first; next.done !== true; next = await scan.next()) yield next.value;
  } finally {
    await scan.return(undefined);
  }
}
