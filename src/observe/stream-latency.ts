import { LatencyHistogram, type LatencyQuantiles } from '../telemetry/index.js';
import type { RunStats } from './run-stats.js';

/** One stream's latencies, in ms: its split and its current attempt's page reads and commits. */
export interface StreamLatency {
  readonly splitId: number;
  readonly pageReadMs: LatencyQuantiles;
  readonly commitMs: LatencyQuantiles;
}

/** How many streams the report names as the slowest. */
const SLOWEST = 5;

/** The splits whose page reads were slowest (p99, then p50): where a replica or a range is hot, it shows here. */
export function slowestStreams(stats: RunStats, count = SLOWEST): StreamLatency[] {
  const streams: StreamLatency[] = [];
  for (const [splitId, split] of stats.splits) {
    if (!split.latency) continue;
    streams.push({ splitId, pageReadMs: new LatencyHistogram(split.latency.pageReadMs).quantiles(), commitMs: new LatencyHistogram(split.latency.commitMs).quantiles() });
  }
  const key = (q: LatencyQuantiles): [number, number] => [q.p99 ?? 0, q.p50 ?? 0];
  return streams.sort((a, b) => {
    const [a99, a50] = key(a.pageReadMs);
    const [b99, b50] = key(b.pageReadMs);
    return b99 - a99 || b50 - a50 || a.splitId - b.splitId;
  }).slice(0, count);
}
