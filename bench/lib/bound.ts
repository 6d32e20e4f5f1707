import { cpus } from 'node:os';

/**
 * e2e over the machine's bound: cores over Cassandra's plus PostgreSQL's CPU a row. A trial's parts come from its own
 * scans; the headline's are the medians of the trials' parts, not the median of the trials' ratios: one scan's
 * Cassandra CPU a row moves by a quarter between scans of a warm ring (2026-12-06, Intel: 8.92, 9.05 and 12.20 µs in
 * three trials), and a trial's ratio takes its bound from that one scan (those trials read 0.72, 0.78 and 1.06).
 */
export function boundOf(e2eRowsPerSecond: number, cassandraMicrosPerRow: number, postgresMicrosPerRow: number, cores = cpus().length): { cassandraMicrosPerRow: number; postgresMicrosPerRow: number; boundRowsPerSecond: number; e2eOverBound: number } {
  const boundRowsPerSecond = (cores * 1e6) / (cassandraMicrosPerRow + postgresMicrosPerRow);
  return { cassandraMicrosPerRow, postgresMicrosPerRow, boundRowsPerSecond: Math.round(boundRowsPerSecond), e2eOverBound: e2eRowsPerSecond / boundRowsPerSecond };
}
