export { validateTable, repairRound, targetParts, drillDownBudget, drillDownRounds } from './validate-table.js';
export type { ValidateResult, RowDifference, ValidateInput, RoundFindings, DifferenceCounts } from './validate-table.js';
export { migrate } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { prepareRun } from './prepare-run.js';
export type { PreparedRun, StoredPlan } from './prepare-run.js';
export { newRunId } from './run-id.js';
export { memorySettings, copyBufferBytesOf } from './run-plan.js';
export { RunFolder } from './run-folder.js';
