export { migrate } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { prepareRun } from './prepare-run.js';
export type { PreparedRun, StoredPlan } from './prepare-run.js';
export { runSplitTask, remainingRanges, effectiveFetchSize } from './split-task.js';
export type { TaskContext, SplitTaskInput } from './split-task.js';
export { runLocal, copyTasks } from './local-runner.js';
export type { RunnerTask, TaskSpec } from './executor-protocol.js';
export { newRunId } from './run-id.js';
