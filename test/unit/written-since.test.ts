import { describe, expect, it } from 'vitest';
import { withWrittenSince, writtenSinceColumns, writtenToTarget, type CqlType, type SourceTable } from '../../src/schema/index.js';

const int: CqlType = { kind: 'scalar', name: 'int' };
const counter: CqlType = { kind: 'scalar', name: 'counter' };
const tags: CqlType = { kind: 'set', element: { kind: 'scalar', name: 'text' }, frozen: false } as unknown as CqlType;

const table = (columns: SourceTable['columns']): SourceTable => ({ keyspace: 'ks', name: 't', partitionKeys: ['k'], clusteringKeys: [], columns });

describe('withWrittenSince (a catch-up\'s write-time columns)', () => {
  it('reads MAXWRITETIME of every regular and static column but counters, staged only, after the table\'s own', () => {
    const read = withWrittenSince(table([
      { name: 'k', type: int, role: 'partition' }, { name: 's', type: int, role: 'static' }, { name: 'values', type: tags, role: 'regular' },
      { name: 'hits', type: counter, role: 'regular' },
    ]), 1_700_000_000_000_000);
    expect(read.writtenSince).toBe(1_700_000_000_000_000);
    expect(read.columns.slice(4).map((c) => [c.name, c.select, c.stagedOnly])).toEqual([
      ['c2y_written_0', 'MAXWRITETIME("s")', true], ['c2y_written_1', 'MAXWRITETIME("values")', true],
    ]);
    expect(writtenSinceColumns(read)).toEqual([4, 5]);
    expect(writtenToTarget(read).map((c) => c.name)).toEqual(['k', 's', 'values', 'hits']);
  });

  it('a table of key columns only has no write times: every row is written', () => {
    const read = withWrittenSince(table([{ name: 'k', type: int, role: 'partition' }]), 1);
    expect(writtenSinceColumns(read)).toEqual([]);
  });

  it('never takes the name of a column the table has (found by thinking of a table that holds c2y_written_0)', () => {
    const read = withWrittenSince(table([{ name: 'k', type: int, role: 'partition' }, { name: 'c2y_written_0', type: int, role: 'regular' }, { name: 'v', type: int, role: 'regular', targetName: '_c2y_written_x' }]), 1);
    const added = read.columns.filter((c) => c.stagedOnly === true).map((c) => c.name);
    expect(added).toEqual(['__c2y_written_0', '__c2y_written_1']);
  });
});
