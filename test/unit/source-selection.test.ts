import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { cutSplits, MAX_TOKEN, MIN_TOKEN, parseTokenRange, ringCoverageProblem, selects, tokenSelection } from '../../src/plan/index.js';
import type { SourceTable } from '../../src/schema/index.js';
import { parseSourceFilter } from '../../src/source/index.js';

const RING = [
  { start: -5000n, end: 0n, replicas: ['a'] }, { start: 0n, end: 7000n, replicas: ['b'] }, { start: 7000n, end: -5000n, replicas: ['c'] },
];

describe('token selections', () => {
  it('read start:end as ]start, end], wrapping past the ring\'s end, and refuse what is not two tokens', () => {
    expect(parseTokenRange('-5:10')).toEqual([{ start: -5n, end: 10n }]);
    expect(parseTokenRange('10:-5')).toEqual([{ start: 10n, end: MAX_TOKEN }, { start: MIN_TOKEN, end: -5n }]);
    expect(parseTokenRange('1:2:3')).toMatch(/not start:end/);
    expect(parseTokenRange('9223372036854775808:0')).toMatch(/outside Murmur3's tokens/);
  });

  it('take the union of the included ranges less the skipped ones', () => {
    expect(tokenSelection(['0:100', '50:200', '300:400'], ['150:350'])).toEqual([{ start: 0n, end: 150n }, { start: 350n, end: 400n }]);
    expect(tokenSelection([], ['0:10'])).toEqual([{ start: MIN_TOKEN, end: 0n }, { start: 10n, end: MAX_TOKEN }]);
    expect(tokenSelection(['0:10'], ['-5:20'])).toEqual([]);
    const selection = tokenSelection(['0:100', '300:400'], []);
    expect([0n, 1n, 100n, 101n, 300n, 301n, 400n, 401n].map((t) => selects(selection, t))).toEqual([false, true, true, false, false, true, true, false]);
  });

  it('cut splits with equal shares of the selected tokens, whose ranges are exactly the selection', () => {
    const selection = tokenSelection(['-1000:1000', '8000:9000'], ['-10:10']);
    const splits = cutSplits(RING, 4, selection);
    expect(splits).toHaveLength(4);
    const widths = splits.map((split) => split.ranges.reduce((sum, range) => sum + (range.end - range.start), 0n));
    expect(widths).toEqual([745n, 745n, 745n, 745n]);
    expect(splits.flatMap((split) => split.ranges).every((range) => selects(selection, range.end) && selects(selection, range.start + 1n))).toBe(true);
    expect(ringCoverageProblem(splits, selection)).toBeUndefined();
    // Read against the whole ring, the same splits leave tokens out; a split reading outside the selection is named.
    expect(ringCoverageProblem(splits)).toMatch(/are in none of its ranges/);
    const widened = splits.map((split, i) => (i === 0 ? { ...split, ranges: [{ start: split.start, end: split.ranges[0]?.end ?? split.end, replicas: [] }, ...split.ranges.slice(1)] } : split));
    expect(ringCoverageProblem(widened, selection)).toMatch(/are read, but only/);
    // Fewer selected tokens than splits asked for: one split a token.
    expect(cutSplits(RING, 8, tokenSelection(['5:8'], []))).toHaveLength(3);
  });

  it('come from the config as strings or [start, end] pairs; a token YAML rounded is refused', () => {
    const config = (yaml: string): unknown => {
      const file = join(mkdtempSync(join(tmpdir(), 'c2y-ranges-')), 'c2y.yaml');
      writeFileSync(file, `source:\n  keyspace: k\n  table: t\n  tokenRanges: ${yaml}\n`);
      return loadConfig({ file }).config.source.tokenRanges;
    };
    expect(config(`["-5:10", ["20", 30]]`)).toEqual(['-5:10', '20:30']);
    expect(config(`"1:2, 3:4"`)).toEqual(['1:2', '3:4']);
    // YAML reads this token as a float, already rounded.
    expect(() => config('[[9000000000000000001, 0]]')).toThrow(/rounded: quote it/);
    expect(loadConfig({ flags: { 'source.keyspace': 'k', 'source.table': 't', 'source.skipTokenRanges': '0:5' } }).config.source.skipTokenRanges).toEqual(['0:5']);
  });
});

const TABLE: SourceTable = {
  keyspace: 'k', name: 'accounts', partitionKeys: ['region', 'shard'], clusteringKeys: ['id'],
  columns: [
    { name: 'region', type: { kind: 'scalar', name: 'text' }, role: 'partition', targetName: 'area' },
    { name: 'shard', type: { kind: 'scalar', name: 'int' }, role: 'partition' },
    { name: 'id', type: { kind: 'scalar', name: 'uuid' }, role: 'clustering', order: 'ASC' },
    { name: 'note', type: { kind: 'scalar', name: 'text' }, role: 'regular' },
  ],
};

describe('source.where', () => {
  it('renders its own CQL and SQL (target names, quotes doubled), never the text it was given', () => {
    const filter = parseSourceFilter("Region IN ('eu', 'it''s')  and shard = -3", TABLE);
    expect(filter.cql).toBe(`"region" IN ('eu', 'it''s') AND "shard" = -3`);
    expect(filter.sql).toBe(`"area" IN ('eu', 'it''s') AND "shard" = -3`);
  });

  it('refuses anything but equalities of typed values on partition-key columns', () => {
    for (const [where, message] of [
      ['note = \'x\'', 'not a partition-key column'], ['shard = 1 OR shard = 2', 'joined by AND'], ['shard > 1', 'only = and IN'],
      ['shard IN (1, 2', 'not closed'], ['shard = ', 'ends where a value was expected'], ['"Region" = \'x\'', 'no column Region'],
      ['region = 5', 'a integer cannot be compared with a text column'], ['shard = 1 AND shard = 2', 'named twice'], ['region = \'a\u0000\'', 'U+0000'],
    ] as const) {
      expect(() => parseSourceFilter(where, TABLE), where).toThrow(message);
    }
  });
});
