/** The seed's tuning arithmetic as pure functions of config and measured facts: what `c2y plan` prints. */

export interface PlanSettings {
  readonly effectivePartitions: number;
  readonly executors: number;
  readonly cores: number;
  readonly executorMemoryBytes: number;
  readonly copyBufferSize: number;
  /** Bytes of rows one task holds between reader and writer (its two pages); see copyBufferBytesOf. */
  readonly copyBufferBytes: number;
  readonly fetchSize: number;
  /** Pages are transcoded as bytes (source.rawPages): no decoded row objects are held beside the frames. */
  readonly rawPages: boolean;
  /** Multiplier on the computed need; 1.5 as in the seed. */
  readonly safetyFactor: number;
  /** Below this headroom c2y refuses to start. */
  readonly refuseBelow: number;
}

export interface MeasuredFacts {
  /** COPY bytes per row, from sampled rows. */
  readonly encodedRowBytes: number;
  /** Heap bytes per decoded driver row, from sampled rows. */
  readonly decodedRowBytes: number;
  readonly targetNodes: number;
  /** Cells a scanned row has (the columns read): a raw page keeps a start and a length for each. */
  readonly cellsPerRow?: number;
  /** max_connections of the target (per node). */
  readonly targetMaxConnections?: number;
}

/** The encoder's chunk (256 KiB) grown once by 1.5×, plus the copy handed to the socket. */
export const ENCODE_BUFFER_BYTES = 256 * 1024 * 2.5;
/** One pg connection's buffers and one task's share of the Cassandra session. */
export const CONNECTION_OVERHEAD_BYTES = 2 * 1024 * 1024;
/**
 * Each executor's V8 semi-space, pinned (--min- and --max-semi-space-size) so the young generation is one size for the
 * whole run. Left to grow, V8 doubled it from 4 to 8 MiB 30–50 s into a run (--trace-gc), so a long run's heap was
 * 8 MiB larger than a short one's. At 4 MiB a raw-page executor's CPU a row is as at 16 unpinned (limits, 1M rows:
 * 3.13 µs against 2.97–3.08, 2026-12-05), and its scavenges free dead socket reads sooner.
 */
export const SEMI_SPACE_MIB = 4;
/**
 * The old generation's size before V8's first full collection (--initial-old-space-size), at most this. V8 counts
 * the buffers of pages and COPY chunks (outside its heap) towards the old generation, and with its default floor
 * an executor ran a mark-compact every ~0.3 s, ~25 % of its CPU (bench: 800 → 130 ms of GC per 500K rows). The
 * floor is garbage an executor may hold before collecting it: the plan counts it in the peak RSS.
 */
export const OLD_SPACE_FLOOR_MIB = 128;

/** The floor for an executor heap of `heapMb`: a quarter of the heap where that is less. */
export function oldSpaceFloorMib(heapMb: number): number {
  return Math.max(1, Math.min(OLD_SPACE_FLOOR_MIB, Math.floor(heapMb / 4)));
}

/** The young generation: two semi-spaces, filled with short-lived rows between scavenges; per executor, not per task. */
export const YOUNG_GENERATION_BYTES = 2 * SEMI_SPACE_MIB * 1024 * 1024;
/** Connections over which the seed's guidance warns, in total. */
export const TOTAL_CONNECTIONS_WARNING = 150;

export interface MemoryTerms {
  /** Rows per page: fetchSize, at most half of copyBufferSize, and two pages within copyBufferBytes. */
  readonly pageRows: number;
  readonly encodeBufferBytes: number;
  readonly pageBytes: number;
  readonly connectionBytes: number;
  readonly total: number;
}

export interface ResourcePlan {
  readonly partitionsPerExecutor: number;
  readonly concurrentTasksPerExecutor: number;
  readonly memoryPerTask: MemoryTerms;
  readonly requiredExecutorBytes: number;
  readonly headroom: number;
  readonly totalMemoryBytes: number;
  readonly totalConnections: number;
  readonly connectionsPerNode: number;
  readonly warnings: readonly string[];
  readonly refuse: boolean;
}

/** Room the page pools make each buffer with over the page it is made for, so that the next page fits too. */
export const POOLED_PAGE_HEADROOM = 1.25;
/** A raw page's cell offsets (page-buffer-pool.ts cellOffsets): an Int32 start and an Int32 length a cell. */
export const CELL_OFFSET_BYTES = 8;

/**
 * Bytes one row of a page takes in what a task holds: read raw, the page pools' buffers (the frame, about its COPY
 * size, and its cells' offsets, each with the pools' headroom), which an executor reserves at its first page; else
 * the frame and the driver's row.
 */
export function pooledRowBytes(settings: Pick<PlanSettings, 'rawPages'>, facts: Pick<MeasuredFacts, 'encodedRowBytes' | 'decodedRowBytes' | 'cellsPerRow'>): number {
  const held = heldRowBytes(settings, facts);
  return settings.rawPages ? POOLED_PAGE_HEADROOM * (held + CELL_OFFSET_BYTES * (facts.cellsPerRow ?? 0)) : held;
}

/** Bytes one row takes in a page a task holds: its frame (about its COPY size), plus the driver's row when not raw. */
export function heldRowBytes(settings: Pick<PlanSettings, 'rawPages'>, facts: Pick<MeasuredFacts, 'encodedRowBytes' | 'decodedRowBytes'>): number {
  return Math.max(1, facts.encodedRowBytes + (settings.rawPages ? 0 : facts.decodedRowBytes));
}

/**
 * Rows per page, so that the two pages a task holds (the one being transcoded and the one prefetched) stay within
 * copyBufferSize rows and copyBufferBytes bytes: a table of 1 MB rows reads a few dozen rows a page, not thousands.
 */
export function pageRowsOf(settings: Pick<PlanSettings, 'fetchSize' | 'copyBufferSize' | 'copyBufferBytes' | 'rawPages'>, facts: Pick<MeasuredFacts, 'encodedRowBytes' | 'decodedRowBytes'>): number {
  const byBytes = Math.floor(settings.copyBufferBytes / (2 * heldRowBytes(settings, facts)));
  return Math.max(1, Math.min(settings.fetchSize, Math.floor(settings.copyBufferSize / 2), byBytes));
}

/**
 * What one task holds: its two pages (as pooled), the encoder's chunk, its connection. Nothing else: rows go from a page
 * straight into the COPY chunk, so no term counts copyBufferSize rows beside the pages.
 */
export function memoryPerTask(settings: PlanSettings, facts: MeasuredFacts): MemoryTerms {
  const pageRows = pageRowsOf(settings, facts);
  const pageBytes = Math.ceil(2 * pageRows * pooledRowBytes(settings, facts));
  const total = ENCODE_BUFFER_BYTES + pageBytes + CONNECTION_OVERHEAD_BYTES;
  return { pageRows, encodeBufferBytes: ENCODE_BUFFER_BYTES, pageBytes, connectionBytes: CONNECTION_OVERHEAD_BYTES, total };
}

/** The knobs the seed's troubleshooting list names, in the order a user should try them. */
export const MEMORY_KNOBS = 'fewer cores per executor, more executors, a smaller copyBufferBytes, or more executorMemory';

export function planResources(settings: PlanSettings, facts: MeasuredFacts, perTaskBytes = memoryPerTask(settings, facts).total): ResourcePlan {
  const partitionsPerExecutor = Math.ceil(settings.effectivePartitions / settings.executors);
  const concurrentTasksPerExecutor = Math.max(1, Math.min(settings.cores, partitionsPerExecutor));
  const requiredExecutorBytes = concurrentTasksPerExecutor * perTaskBytes * settings.safetyFactor;
  const headroom = settings.executorMemoryBytes / requiredExecutorBytes;
  const totalConnections = Math.min(settings.effectivePartitions, settings.executors * concurrentTasksPerExecutor);
  const connectionsPerNode = Math.ceil(totalConnections / Math.max(1, facts.targetNodes));
  const warnings: string[] = [];
  if (headroom < 1) warnings.push(`executor memory headroom ${headroom.toFixed(2)} < 1.0: each executor may need ${(requiredExecutorBytes / 1024 ** 2).toFixed(0)} MiB; try ${MEMORY_KNOBS}`);
  if (totalConnections > TOTAL_CONNECTIONS_WARNING) warnings.push(`${totalConnections} connections in total is above ~${TOTAL_CONNECTIONS_WARNING}; fewer streams often go as fast`);
  if (facts.targetMaxConnections !== undefined && connectionsPerNode > facts.targetMaxConnections * 0.8) {
    warnings.push(`${connectionsPerNode} connections per target node is near its max_connections (${facts.targetMaxConnections})`);
  }
  return {
    partitionsPerExecutor, concurrentTasksPerExecutor, memoryPerTask: memoryPerTask(settings, facts), requiredExecutorBytes, headroom,
    totalMemoryBytes: settings.executors * settings.executorMemoryBytes, totalConnections, connectionsPerNode, warnings,
    refuse: headroom < settings.refuseBelow,
  };
}

/**
 * Streams-bound throughput: each stream spends one round trip per commit and per source page that prefetch could
 * not hide, plus the time to move its rows. rows/s = streams × rowsPerOp / (rtt + rowsPerOp / perStreamRowsPerSecond).
 */
export function expectedRowsPerSecond(streams: number, rttMs: number, rowsPerRoundTrip: number, perStreamRowsPerSecond: number): number {
  const secondsPerOp = rttMs / 1000 + rowsPerRoundTrip / perStreamRowsPerSecond;
  return (streams * rowsPerRoundTrip) / secondsPerOp;
}

/** The fewest streams expected to reach `targetRowsPerSecond`, or undefined past `maxStreams`. */
export function streamsForRate(targetRowsPerSecond: number, rttMs: number, rowsPerRoundTrip: number, perStreamRowsPerSecond: number, maxStreams = 1024): number | undefined {
  for (let streams = 1; streams <= maxStreams; streams++) {
    if (expectedRowsPerSecond(streams, rttMs, rowsPerRoundTrip, perStreamRowsPerSecond) >= targetRowsPerSecond) return streams;
  }
  return undefined;
}
