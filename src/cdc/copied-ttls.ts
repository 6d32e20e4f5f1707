import type { C2yConfig } from '../config/index.js';
import { firstTargetEndpoint, openTarget, type Queryable } from '../sink/index.js';
import { mayExpire, scanTtls } from '../source/index.js';
import type { ApplyContext } from './change-applier.js';

/** Where the scan of the copied TTLs stands: off (cdcScanTtls false, or no cell can expire), running, or done. */
export interface CopiedTtls {
  state: 'off' | 'scanning' | 'done';
  /** Rows and partitions found holding a cell with a TTL, each read again when it runs out. */
  expiring: number;
}

/** Whether the run's copied TTLs still need a scan: asked before the apply starts (on its own connection then). */
export async function copiedTtlsToScan(context: ApplyContext, config: C2yConfig, db: Queryable): Promise<boolean> {
  if (!config.cdcScanTtls || !mayExpire(context.table)) return false;
  return !(await context.store.ttlsScanned(db, context.stream, context.runId));
}

/**
 * Records when each TTL the bulk copy carried runs out, so the apply reads those rows again then and the target drops
 * what Cassandra expired (the copy moves cells, not their TTLs). Runs beside the apply, on its own connection (the
 * apply's batches are transactions on theirs). Each expiry is due a second after the TTL Cassandra gave (whole
 * seconds, rounded down), so the read comes after the cell is gone. Done once per bulk run: an apply stopped midway
 * scans again when resumed (an expiry recorded twice is a second, harmless read).
 */
export async function scanCopiedTtls(context: ApplyContext, config: C2yConfig, signal: AbortSignal, progress: CopiedTtls): Promise<void> {
  progress.state = 'scanning';
  const db = await openTarget(firstTargetEndpoint(config.target), config.target, 'c2y ttl scan');
  try {
    await scanTtls(context.cassandra, context.table, context.codec, { consistency: context.consistency, fetchSize: context.fetchSize, signal }, async (found) => {
      const now = Math.floor(Date.now() / 1000);
      await context.store.addExpiries(db, context.stream, found.map((key) => ({ key: key.key, clustering: key.clustering, at: now + key.ttlSeconds + 1 })));
      progress.expiring += found.length;
    });
    if (signal.aborted) return;
    await context.store.recordTtlScan(db, context.stream, context.runId, progress.expiring);
    progress.state = 'done';
  } finally {
    await db.end().catch(() => undefined);
  }
}
