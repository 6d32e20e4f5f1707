export { canonicalColumn, normalInet, parseExactJson } from './canonical-column.js';
export type { CanonicalColumn } from './canonical-column.js';
export { validateTable, repairDifferences } from './validate-table.js';
export type { ValidateResult, RowDifference, ValidateInput } from './validate-table.js';
