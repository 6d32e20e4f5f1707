export { createLogger, maskSecrets } from './logger.js';
export type { Logger, LogFields, LogLevel, LoggerOptions } from './logger.js';
export { RunStats } from './run-stats.js';
export type { ExecutorStats, SplitStats, SplitState } from './run-stats.js';
export { startProgress, progressLine, progressSnapshot } from './progress-display.js';
export type { ProgressSnapshot } from './progress-display.js';
export { buildReport, renderReport } from './run-report.js';
export type { RunReport, ReportBase, ExecutorReport, PlannedFiguresJson } from './run-report.js';
export type { RunEvent, RunListener, TaskErrorJson } from './run-events.js';
