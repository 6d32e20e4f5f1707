export { canonicalColumn, normalInet, parseExactJson } from './canonical-column.js';
export type { CanonicalColumn } from './canonical-column.js';
export { validateTable, repairDifferences, targetParts } from './validate-table.js';
export type { ValidateResult, RowDifference, ValidateInput, ValidateFindings } from './validate-table.js';
export type { TargetPart, DigestResult, CollectedRow } from './digest-task.js';
