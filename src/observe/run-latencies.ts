import { LatencyHistogram, type LatencyQuantiles } from '../telemetry/index.js';
import type { RunEvent } from './run-events.js';

type Kind = 'pageRead' | 'commit';

/** One executor's counts: those of its earlier processes (a crashed one restarts from zero) and its current one's. */
interface ExecutorCounts {
  readonly before: Record<Kind, LatencyHistogram>;
  latest: Record<Kind, readonly number[]>;
}

const total = (counts: readonly number[]): number => counts.reduce((sum, n) => sum + n, 0);

/** The run's latencies, from the cumulative counts each executor sends: summed over executors, quantiles on demand. */
export class RunLatencies {
  private readonly executors = new Map<number, ExecutorCounts>();

  update(event: Extract<RunEvent, { type: 'latency' }>): void {
    let entry = this.executors.get(event.executor);
    if (!entry) {
      entry = { before: { pageRead: new LatencyHistogram(), commit: new LatencyHistogram() }, latest: { pageRead: [], commit: [] } };
      this.executors.set(event.executor, entry);
    }
    const next: Record<Kind, readonly number[]> = { pageRead: event.pageReadMs, commit: event.commitMs };
    for (const kind of ['pageRead', 'commit'] as const) {
      // Fewer than before: a new process of this executor; what the old one counted is kept.
      if (total(next[kind]) < total(entry.latest[kind])) entry.before[kind].add(entry.latest[kind]);
    }
    entry.latest = next;
  }

  histogram(kind: Kind): LatencyHistogram {
    const sum = new LatencyHistogram();
    for (const entry of this.executors.values()) {
      sum.add(entry.before[kind].counts);
      sum.add(entry.latest[kind]);
    }
    return sum;
  }

  quantiles(kind: Kind): LatencyQuantiles {
    return this.histogram(kind).quantiles();
  }
}
