import type { C2yConfig } from '../config/index.js';
import { averageEncodedRowBytes, decodedRowBytes } from '../encode/index.js';
import { cutSplits, partitionCounts, type PartitionCounts, type Split } from '../plan/index.js';
import type { SourceTable } from '../schema/index.js';
import { consistencyCode, estimateTableSize, readRing, selectedShare, type CassandraClient, type SourceSelection, type TableSizeEstimate } from '../source/index.js';

/** A table as measured before a run: its size, its rows' sizes, the share read, and the splits that gives. */
export interface TableMeasure {
  readonly size: TableSizeEstimate;
  /** COPY text bytes of an average sampled row. */
  readonly averageRowBytes: number;
  /** Heap bytes of an average sampled row as the driver decodes it. */
  readonly decodedRowBytes: number;
  /** Of the token ring, what source.tokenRanges select (1: all; a where's share is not known before reading). */
  readonly share: number;
  readonly estimatedRows: number;
  readonly counts: PartitionCounts;
}

/**
 * The one measure-and-plan step: a new run's plan, `c2y plan` and the benches size a table and count its splits
 * the same way, so what `c2y plan` prints is what `c2y migrate` does.
 */
export async function measureTable(cassandra: CassandraClient, config: C2yConfig, table: SourceTable, selection: SourceSelection, signal?: AbortSignal): Promise<TableMeasure> {
  const size = await estimateTableSize(cassandra, table, consistencyCode(config.source.consistency), signal);
  const averageRowBytes = averageEncodedRowBytes(table, size.sampleRows);
  const share = selectedShare(selection);
  // system.size_estimates leaves out what is still in memtables and is refreshed every few minutes: a table written
  // just now shows a fraction of its size there (seen: 5 KB for 3,000 rows), and a plan cut from that ran on one
  // stream where six were asked for. The rows counted or sampled, at their encoded size, are a floor.
  const estimatedBytes = Math.max(size.estimatesBytes ?? 0, size.rows * averageRowBytes) * share;
  return {
    size, averageRowBytes, decodedRowBytes: decodedRowBytes(size.sampleRows), share,
    estimatedRows: Math.round(size.rows * share), counts: partitionCounts(config.parallelism, estimatedBytes, config.source.splitSizeMb),
  };
}

/** The measured table's splits over the ring as the driver sees it now, within the selection. */
export function splitsOf(cassandra: CassandraClient, table: SourceTable, measure: TableMeasure, selection: SourceSelection): Split[] {
  return cutSplits(readRing(cassandra, table.keyspace), measure.counts.effective, selection.tokens);
}
