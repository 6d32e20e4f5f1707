import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { expectedRowsPerSecond, MEMORY_KNOBS, oldSpaceFloorMib, planResources, YOUNG_GENERATION_BYTES, type PlanSettings } from '../plan/index.js';
import { heapMbOf } from '../task/index.js';
import type { Logger, PlannedFiguresJson } from '../observe/index.js';
import { effectiveFetchSize } from '../task/index.js';

/** Multiplier on the computed need, as in the seed (and `c2y plan`'s default). */
export const SAFETY_FACTOR = 1.5;
/** Headroom under which a run does not start (memoryCheck: refuse). */
export const REFUSE_BELOW_HEADROOM = 0.5;
/** Rows/s one stream moves with no network delay: the model's assumption, named as such wherever it is shown. */
export const ASSUMED_STREAM_ROWS_PER_SECOND = 5000;

/** What the planner expected of this run, shown in the report beside what was measured (the report's own type). */
export type PlannedFigures = PlannedFiguresJson;

export interface RunPlanFacts {
  readonly splits: number;
  readonly averageRowBytes: number;
  readonly decodedRowBytes: number;
  readonly targetNodes: number;
  readonly targetRttMs: number;
  /** The columns a scanned row has: a raw page keeps each cell's offsets (the plan's page term counts them). */
  readonly cellsPerRow: number;
}

/** copyBufferBytes as set, or a quarter of each task's share of executorMemory. */
export function copyBufferBytesOf(config: Pick<C2yConfig, 'copyBufferBytes' | 'executorMemory' | 'cores'>): number {
  return config.copyBufferBytes ?? Math.floor(config.executorMemory / config.cores / 4);
}

/** The settings that decide a task's pages and memory: one place for migrate, `c2y plan` and the bench. */
export function memorySettings(config: C2yConfig): Pick<PlanSettings, 'copyBufferSize' | 'copyBufferBytes' | 'fetchSize' | 'rawPages'> {
  return { copyBufferSize: config.copyBufferSize, copyBufferBytes: copyBufferBytesOf(config), fetchSize: effectiveFetchSize(config), rawPages: config.source.rawPages };
}

export function plannedFigures(config: C2yConfig, facts: RunPlanFacts): PlannedFigures {
  const plan = planResources(
    {
      effectivePartitions: Math.max(1, facts.splits), executors: config.executors, cores: config.cores, executorMemoryBytes: config.executorMemory,
      ...memorySettings(config), safetyFactor: SAFETY_FACTOR, refuseBelow: 0,
    },
    { encodedRowBytes: facts.averageRowBytes, decodedRowBytes: facts.decodedRowBytes, targetNodes: facts.targetNodes, cellsPerRow: facts.cellsPerRow },
  );
  return {
    averageRowBytes: facts.averageRowBytes, decodedRowBytes: facts.decodedRowBytes, memoryPerTask: plan.memoryPerTask,
    concurrentTasksPerExecutor: plan.concurrentTasksPerExecutor, safetyFactor: SAFETY_FACTOR, requiredExecutorBytes: Math.round(plan.requiredExecutorBytes), youngGenerationBytes: YOUNG_GENERATION_BYTES,
    oldSpaceFloorBytes: oldSpaceFloorMib(heapMbOf(config.executorMemory)) * 1024 * 1024,
    executorMemoryBytes: config.executorMemory, headroom: Math.round(plan.headroom * 100) / 100, connectionsPerNode: plan.connectionsPerNode,
    targetRttMs: Math.round(facts.targetRttMs * 100) / 100, assumedStreamRowsPerSecond: ASSUMED_STREAM_ROWS_PER_SECOND,
    expectedRowsPerSecond: Math.round(expectedRowsPerSecond(plan.totalConnections, facts.targetRttMs, config.copyFlushEvery, ASSUMED_STREAM_ROWS_PER_SECOND)),
  };
}

/** Warns under headroom 1; under 0.5 refuses before anything is recorded, unless memoryCheck is `warn`. */
export function checkMemoryPlan(config: C2yConfig, planned: PlannedFigures, log: Logger): void {
  if (planned.headroom >= 1) return;
  const need = `${planned.concurrentTasksPerExecutor} concurrent tasks × ${(planned.memoryPerTask.total / 1024 ** 2).toFixed(1)} MiB × ${planned.safetyFactor} = ${(planned.requiredExecutorBytes / 1024 ** 2).toFixed(0)} MiB per executor, executorMemory is ${(config.executorMemory / 1024 ** 2).toFixed(0)} MiB (headroom ${planned.headroom})`;
  if (planned.headroom < REFUSE_BELOW_HEADROOM && config.memoryCheck === 'refuse') {
    throw new C2yError('MEMORY_PLAN_REFUSED', `not starting: ${need}`, {
      hint: `try ${MEMORY_KNOBS} (c2y plan shows each term); --set memoryCheck=warn runs anyway`,
    });
  }
  log.warn('executor memory may be too small', { need, try: MEMORY_KNOBS });
}
