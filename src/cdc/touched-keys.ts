import type { ChangeLine } from './agent-events.js';

/**
 * A key a change touched, as hex of each serialized component: a whole partition (no clustering), or one row. The
 * applier reads it again from the source and makes the target's rows of it what the source holds now.
 */
export interface TouchedKey {
  readonly key: readonly string[];
  readonly clustering?: readonly string[];
}

/** When a TTL'd cell or row of a key expires (Unix seconds): the key is read again then, so the target drops it too. */
export interface KeyExpiry extends TouchedKey {
  readonly at: number;
}

/**
 * Expiry moments from the logs are on the nodes' clocks (a cell's local deletion time); the apply looks for due ones on
 * this machine's. A clock ahead of the nodes' would read a key again before Cassandra dropped its cell, and the target
 * would keep the row for good: the moments move later by the widest skew measured (this machine's clock less a node's),
 * never earlier (a read a little late costs a moment's lag, not a wrong row).
 */
export function expiriesOnThisClock(expiries: readonly KeyExpiry[], skewsMs: ReadonlyArray<number | null>): KeyExpiry[] {
  const shift = Math.ceil(Math.max(0, ...skewsMs.map((skew) => skew ?? 0)) / 1000);
  return expiries.map((expiry) => ({ ...expiry, at: expiry.at + shift }));
}

/** The shape of the table's key: how many partition key and clustering columns. */
export interface KeyShape {
  readonly partitionColumns: number;
  readonly clusteringColumns: number;
}

/** A composite partition key's components (each: uint16 length, bytes, end-of-component byte); one column: as is. */
export function keyComponents(key: Buffer, count: number): Buffer[] {
  if (count === 1) return [key];
  const parts: Buffer[] = [];
  for (let at = 0; at < key.length && parts.length < count;) {
    const length = key.readUInt16BE(at);
    parts.push(key.subarray(at + 2, at + 2 + length));
    at += 2 + length + 1;
  }
  return parts;
}

interface PartitionTouch {
  readonly key: string[];
  whole: boolean;
  readonly rows: Map<string, string[]>;
}

/**
 * The keys a batch of changes touched, coalesced: a key touched twice (by two writes, or by each replica's copy of
 * one mutation) is read once; a partition touched whole (a partition or range delete, a static cell) covers its rows.
 */
export class TouchedKeys {
  private readonly partitions = new Map<string, PartitionTouch>();
  private readonly expiring: KeyExpiry[] = [];
  private changeCount = 0;

  constructor(private readonly shape: KeyShape) {}

  get changes(): number {
    return this.changeCount;
  }

  /** Keys to read: whole partitions, and rows of partitions not read whole. */
  get size(): number {
    let size = 0;
    for (const touch of this.partitions.values()) size += touch.whole ? 1 : touch.rows.size;
    return size;
  }

  add(change: ChangeLine): void {
    this.changeCount++;
    const key = keyComponents(Buffer.from(change.key, 'hex'), this.shape.partitionColumns).map((part) => part.toString('hex'));
    const whole = this.shape.clusteringColumns === 0 || change.partitionDeleted !== undefined || (change.ranges?.length ?? 0) > 0 || change.static !== undefined;
    if (whole) this.touch({ key });
    for (const row of change.rows ?? []) {
      // A row without its whole clustering (a range of rows) cannot be read as one row: its partition is read.
      if (!whole) this.touch(row.clustering.length === this.shape.clusteringColumns ? { key, clustering: row.clustering } : { key });
      this.noteExpiry(row, whole ? { key } : { key, clustering: row.clustering });
    }
    if (change.static) this.noteExpiry(change.static, { key });
  }

  /** An expiry that fell due: its key is read again like a changed one. */
  addDue(expiry: TouchedKey): void {
    this.touch(expiry.clustering === undefined ? { key: expiry.key } : { key: expiry.key, clustering: expiry.clustering });
  }

  /**
   * The same keys, each row covered once: a key given twice is read once, a row of a partition also given whole is
   * left to the partition's read (read both ways, the row would be written twice).
   */
  static coalesce(reads: readonly TouchedKey[]): TouchedKey[] {
    const keys = new TouchedKeys({ partitionColumns: 0, clusteringColumns: 0 });
    for (const read of reads) keys.touch(read);
    return keys.reads();
  }

  reads(): TouchedKey[] {
    const reads: TouchedKey[] = [];
    for (const touch of this.partitions.values()) {
      if (touch.whole) reads.push({ key: touch.key });
      else for (const clustering of touch.rows.values()) reads.push({ key: touch.key, clustering });
    }
    return reads;
  }

  expiries(): readonly KeyExpiry[] {
    return this.expiring;
  }

  private touch(key: TouchedKey): void {
    const id = key.key.join(':');
    let touch = this.partitions.get(id);
    if (!touch) {
      touch = { key: [...key.key], whole: false, rows: new Map() };
      this.partitions.set(id, touch);
    }
    if (key.clustering === undefined) {
      touch.whole = true;
      touch.rows.clear();
    } else if (!touch.whole) touch.rows.set(key.clustering.join(':'), [...key.clustering]);
  }

  /** Each moment a TTL of the row (its liveness) or of one of its cells runs out: the target's view changes then. */
  private noteExpiry(row: NonNullable<ChangeLine['static']>, scope: TouchedKey): void {
    const moments = new Set<number>();
    if (row.ttl && row.ts !== undefined) moments.add(Math.ceil(row.ts / 1e6) + row.ttl);
    for (const cell of row.cells) {
      if (cell.expires !== undefined) moments.add(cell.expires);
      else if (cell.ttl !== undefined && cell.ts !== undefined) moments.add(Math.ceil(cell.ts / 1e6) + cell.ttl);
    }
    for (const at of moments) this.expiring.push({ ...scope, at });
  }
}
