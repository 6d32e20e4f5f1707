export { MIN_TOKEN, MAX_TOKEN, unwrapRing, rangeWidth, rangeAfter } from './token-range.js';
export type { TokenRange, ReplicatedRange, RingRange } from './token-range.js';
export { cutSplits, partitionCounts, splitToJson, splitFromJson } from './token-splits.js';
export type { Split, SplitJson, PartitionCounts } from './token-splits.js';
export { planResources, memoryPerTask, expectedRowsPerSecond, streamsForRate, MEMORY_KNOBS, ENCODE_BUFFER_BYTES, CONNECTION_OVERHEAD_BYTES, SEMI_SPACE_MIB, YOUNG_GENERATION_BYTES, oldSpaceFloorMib, POOLED_PAGE_HEADROOM, CELL_OFFSET_BYTES } from './resource-plan.js';
export type { PlanSettings, MeasuredFacts, ResourcePlan, MemoryTerms } from './resource-plan.js';
export { ringCoverageProblem } from './ring-coverage.js';
export { parseTokenRange, tokenSelection, isWholeRing, selects, selectionText, selectedWidth, WHOLE_RING } from './token-selection.js';
export type { TokenSelection } from './token-selection.js';
