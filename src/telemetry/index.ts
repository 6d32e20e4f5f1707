// What a task measures about itself (latency histograms, where its time goes), apart from the driver's progress
// display and report (observe/), so that executors load neither the terminal libraries nor the config loader.
export { LatencyHistogram, LATENCY_BOUNDS_MS } from './latency-histogram.js';
export type { LatencyQuantiles } from './latency-histogram.js';
export { StreamTiming, verdictOf, verdictAdvice } from './time-split.js';
export type { TimeSplitMs, Verdict } from './time-split.js';
export { executorsAdvice } from './executor-advice.js';
export type { ExecutorUse } from './executor-advice.js';
export { TargetWaitTally, targetWaitsAdvice } from './target-waits.js';
export type { TargetWaitsReport, WaitCount } from './target-waits.js';
