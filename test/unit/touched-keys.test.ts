import { describe, expect, it } from 'vitest';
import { expiriesOnThisClock, TouchedKeys, type ChangeLine } from '../../src/cdc/index.js';

/** A change line as the agent prints it: hex key and clustering, write times in microseconds. */
function change(key: string, extra: Partial<ChangeLine> = {}): ChangeLine {
  return { type: 'change', segment: 1, position: 10, table: 'ks.t', key, ...extra };
}

type Row = NonNullable<ChangeLine['static']>;
const row = (clustering: string[], cells: Row['cells'] = [], extra: Partial<Row> = {}): Row => ({ clustering, cells, ...extra });

describe('TouchedKeys', () => {
  it('reads a row touched twice (two writes, or two replicas\' copies of one) once', () => {
    const keys = new TouchedKeys({ partitionColumns: 1, clusteringColumns: 1 });
    keys.add(change('0001', { rows: [row(['0a'])] }));
    keys.add(change('0001', { rows: [row(['0a'])] }));
    keys.add(change('0001', { rows: [row(['0b'])] }));
    expect(keys.changes).toBe(3);
    expect(keys.reads()).toEqual([{ key: ['0001'], clustering: ['0a'] }, { key: ['0001'], clustering: ['0b'] }]);
  });

  it('reads a partition whole after a partition delete, a range delete or a static cell, and its rows no more', () => {
    for (const whole of [{ partitionDeleted: 5 }, { ranges: [{ start: { kind: 'EXCL_START_BOUND', values: ['05'] }, end: { kind: 'INCL_END_BOUND', values: [] }, ts: 5 }] }, { static: row([], [{ column: 's', ts: 5, value: '61' }]) }]) {
      const keys = new TouchedKeys({ partitionColumns: 1, clusteringColumns: 1 });
      keys.add(change('0002', { rows: [row(['0a'])] }));
      keys.add(change('0002', whole));
      keys.add(change('0002', { rows: [row(['0c'])] }));
      expect(keys.reads()).toEqual([{ key: ['0002'] }]);
      expect(keys.size).toBe(1);
    }
  });

  it('splits a composite partition key into its components', () => {
    const keys = new TouchedKeys({ partitionColumns: 2, clusteringColumns: 0 });
    // (int 1, text 'eu'): each component is a uint16 length, its bytes and an end byte.
    keys.add(change('0004000000010000026575' + '00', { rows: [row([])] }));
    expect(keys.reads()).toEqual([{ key: ['00000001', '6575'] }]);
  });

  it('notes each moment a TTL runs out: a row\'s liveness and each cell\'s own expiry', () => {
    const keys = new TouchedKeys({ partitionColumns: 1, clusteringColumns: 1 });
    keys.add(change('0003', { rows: [row(['0a'], [{ column: 'v', ts: 1_000_000_000, ttl: 60, expires: 1060 }, { column: 'w', ts: 1_000_000_000, ttl: 60, expires: 1060 }], { ts: 1_000_000_000, ttl: 30 })] }));
    expect(keys.expiries()).toEqual([{ key: ['0003'], clustering: ['0a'], at: 1030 }, { key: ['0003'], clustering: ['0a'], at: 1060 }]);
  });

  it('coalesces keys noted apart (pending keys): a row under a partition read whole is not read again, a key twice is read once', () => {
    const reads = TouchedKeys.coalesce([
      { key: ['01'], clustering: ['0a'] }, { key: ['01'] }, { key: ['01'], clustering: ['0b'] },
      { key: ['02'], clustering: ['0a'] }, { key: ['02'], clustering: ['0a'] }, { key: ['02'], clustering: ['0b'] },
    ]);
    expect(reads).toEqual([{ key: ['01'] }, { key: ['02'], clustering: ['0a'] }, { key: ['02'], clustering: ['0b'] }]);
  });

  it('moves expiry moments onto this machine\'s clock: later by the widest skew ahead of a node, never earlier', () => {
    const expiries = [{ key: ['01'], at: 1000 }, { key: ['02'], clustering: ['0a'], at: 2000 }];
    // This machine 4.2 s ahead of one node: the cell is gone on that node's clock at 1000, on this one's at 1004.2.
    expect(expiriesOnThisClock(expiries, [120, 4200, null])).toEqual([{ key: ['01'], at: 1005 }, { key: ['02'], clustering: ['0a'], at: 2005 }]);
    expect(expiriesOnThisClock(expiries, [-3000, null])).toEqual(expiries);
    expect(expiriesOnThisClock(expiries, [])).toEqual(expiries);
  });
});
