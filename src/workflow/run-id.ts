import { randomBytes } from 'node:crypto';

/** Sortable by start time, unique without coordination: 20261125-144012-3fa9c1. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
