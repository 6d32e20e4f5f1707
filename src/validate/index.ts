export { canonicalColumn, normalInet, parseExactJson } from './canonical-column.js';
export type { CanonicalColumn } from './canonical-column.js';
export { validateTable, repairRound, targetParts, drillDownBudget, drillDownRounds } from './validate-table.js';
export type { ValidateResult, RowDifference, ValidateInput, RoundFindings, DifferenceCounts } from './validate-table.js';
export type { TargetPart, DigestResult, CollectedRow } from './digest-task.js';
