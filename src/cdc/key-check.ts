import { keyOf, rowShape, type RowShape } from '../digest/index.js';
import { qualifiedName } from '../schema/index.js';
import type { TargetClient } from '../sink/index.js';
import { keyStageOf, readKeys, stageKeys, type ApplyContext } from './change-applier.js';
import type { TouchedKey } from './touched-keys.js';

/** A key whose rows differ between the two sides: what validate would name, for these keys only. */
export interface KeyDifference {
  readonly kind: 'missing' | 'extra' | 'different';
  /** Primary key column → canonical text. */
  readonly key: Readonly<Record<string, string>>;
  readonly columns?: readonly string[];
}

export interface KeyCheck {
  readonly keys: number;
  /** The checked keys whose partition holds a difference: what to check again later. */
  readonly differing: readonly TouchedKey[];
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly differences: readonly KeyDifference[];
}

/** Keys checked per round: one source read each, one target query for all. */
/** Keys compared at once (one source read round and one target query each); also the page read from the store. */
export const CHECK_BATCH = 2000;

function keyRecord(shape: RowShape, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(shape.keyIndexes.map((index) => [(shape.columns[index] as RowShape['columns'][number]).name, values[index] as string]));
}

/** The source's rows of the keys, canonical, by key; a static-only row (which no target holds) is left out. */
async function sourceRows(context: ApplyContext, shape: RowShape, reads: readonly TouchedKey[]): Promise<Map<string, string[]>> {
  const firstClustering = context.table.partitionKeys.length + 1;
  const rows = new Map<string, string[]>();
  for (const raw of await readKeys(context, reads)) {
    if (context.table.clusteringKeys.length > 0 && (raw[firstClustering] === null || raw[firstClustering] === undefined)) continue;
    const values = shape.columns.map((column, index) => column.canonical.fromCassandra(raw[index + 1]));
    rows.set(keyOf(shape, values), values);
  }
  return rows;
}

/** The target's rows of the keys, canonical, by key (a read-only use of the key stage, rolled back). */
async function targetRows(context: ApplyContext, shape: RowShape, target: TargetClient, reads: readonly TouchedKey[]): Promise<Map<string, string[]>> {
  const rows = new Map<string, string[]>();
  await target.query('BEGIN');
  try {
    // Floats as exact text, as validate reads them.
    await target.query('SET LOCAL extra_float_digits = 3');
    const match = await stageKeys(context, target, reads);
    if (match === undefined) return rows;
    const select = shape.columns.map((column, index) => `${column.canonical.sql} AS c${index}`).join(', ');
    const result = await target.query<Record<string, string | null>>(`SELECT ${select} FROM ${qualifiedName(context.targetName)} AS t WHERE EXISTS (SELECT 1 FROM pg_temp.${keyStageOf(context)} AS k WHERE ${match})`);
    for (const record of result.rows) {
      const values = shape.columns.map((column, index) => column.canonical.fromPostgres(record[`c${index}`] ?? null));
      rows.set(keyOf(shape, values), values);
    }
    return rows;
  } finally {
    await target.query('ROLLBACK').catch(() => undefined);
  }
}

/** A key's partition key columns, canonical, as one text (to match a difference to the keys that touched it). */
function partitionText(context: ApplyContext, key: Readonly<Record<string, string>>): string {
  return context.table.partitionKeys.map((name) => key[name]).join('\u001f');
}

/** A touched key's partition key columns in canonical text, by column name. */
function touchedPartition(context: ApplyContext, shape: RowShape, read: TouchedKey): Record<string, string> {
  const values = context.codec.keyValuesOf(read.key);
  return Object.fromEntries(context.table.partitionKeys.map((name, n) => {
    const column = shape.columns.find((c) => c.name === name) as RowShape['columns'][number];
    return [name, column.canonical.fromCassandra(values[n])];
  }));
}

/** Names each row of the keys that is missing, extra or different in the target. */
function compare(shape: RowShape, source: ReadonlyMap<string, string[]>, target: ReadonlyMap<string, string[]>): KeyDifference[] {
  const differences: KeyDifference[] = [];
  for (const [key, values] of source) {
    const other = target.get(key);
    if (other === undefined) {
      differences.push({ kind: 'missing', key: keyRecord(shape, values) });
      continue;
    }
    const columns = shape.columns.filter((_, index) => values[index] !== other[index]).map((column) => column.name);
    if (columns.length > 0) differences.push({ kind: 'different', key: keyRecord(shape, values), columns });
  }
  for (const [key, values] of target) if (!source.has(key)) differences.push({ kind: 'extra', key: keyRecord(shape, values) });
  return differences;
}

/**
 * Compares the rows of the given keys on both sides, as validate compares rows (canonical forms), without reading
 * the rest of either table: what a cut-over checks, for the keys written since the copy began. A static-only partition
 * (no target holds it) is left out; a value the run rejected shows as missing, so a cut-over refuses rather than hides it.
 */
export async function checkKeys(context: ApplyContext, target: TargetClient, pages: AsyncIterable<readonly TouchedKey[]>): Promise<KeyCheck> {
  const shape = rowShape(context.table);
  const differences: KeyDifference[] = [];
  const differing: TouchedKey[] = [];
  let keys = 0;
  let sourceCount = 0;
  let targetCount = 0;
  for await (const page of pages) {
    for (let at = 0; at < page.length; at += CHECK_BATCH) {
      const batch = page.slice(at, at + CHECK_BATCH);
      const source = await sourceRows(context, shape, batch);
      const found = await targetRows(context, shape, target, batch);
      keys += batch.length;
      sourceCount += source.size;
      targetCount += found.size;
      const named = compare(shape, source, found);
      differences.push(...named);
      const partitions = new Set(named.map((difference) => partitionText(context, difference.key)));
      differing.push(...batch.filter((read) => partitions.has(partitionText(context, touchedPartition(context, shape, read)))));
    }
  }
  return { keys, differing, sourceRows: sourceCount, targetRows: targetCount, differences };
}
