import { C2yError } from '../errors/index.js';
import { qualifiedName, quoteIdent, targetColumnName, writtenToTarget, type SourceTable, type TargetName } from '../schema/index.js';
import type { Queryable, TargetClient } from './target-client.js';

/** What a run does with a target table that already holds rows (target.onExisting). */
export type OnExisting = 'refuse' | 'skip' | 'update';

/** The target column names of the source's primary key, in key order. */
export function mergeKeyColumns(table: SourceTable): string[] {
  const byName = new Map(table.columns.map((column) => [column.name, targetColumnName(column)]));
  return [...table.partitionKeys, ...table.clusteringKeys].map((name) => byName.get(name) ?? name);
}

/** Every column a run writes to the target, by its target name: the source's columns, then the constant ones. */
function writtenColumns(table: SourceTable): string[] {
  return [...writtenToTarget(table).map((column) => targetColumnName(column)), ...(table.constants ?? []).map((constant) => constant.name)];
}

/** The columns COPY fills, in the encoder's order: every column read (a catch-up's write times too), then the constants. */
function stagedColumns(table: SourceTable): string[] {
  return [...table.columns.map((column) => targetColumnName(column)), ...(table.constants ?? []).map((constant) => constant.name)];
}

/**
 * ON CONFLICT needs a unique index on exactly the source's key: the target's primary key, or another unique index
 * without expressions or predicate. Refused up front, naming the columns, before any row moves.
 */
export async function checkMergeKey(db: Queryable, table: SourceTable, target: TargetName, mode: OnExisting): Promise<void> {
  const key = mergeKeyColumns(table);
  const result = await db.query<{ columns: string[] }>(
    `SELECT array_agg(a.attname::text) AS columns FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL GROUP BY i.indexrelid`,
    [qualifiedName(target)],
  );
  const wanted = [...key].sort().join('\u0000');
  if (result.rows.some((row) => [...row.columns].sort().join('\u0000') === wanted)) return;
  const list = key.map(quoteIdent).join(', ');
  throw new C2yError('TARGET_TABLE_MISMATCH', `target.onExisting is ${mode}, which merges on the source's primary key (${list}), but ${qualifiedName(target)} has no primary key or unique index on exactly those columns`, {
    hint: `add one (ALTER TABLE ${qualifiedName(target)} ADD PRIMARY KEY (${list})), or empty the table and leave target.onExisting at refuse`,
    context: { key: 'target.onExisting' },
  });
}

/** Names unique in this process, so one session may hold the stages of several targets (a keyspace run). */
const stageNames = new Map<string, string>();
/** The stages each connection holds: created outside any transaction, so a rollback never drops one. */
const stagesOn = new WeakMap<TargetClient, Set<string>>();

/**
 * skip and update write through a staging table: COPY fills a temporary table of the written columns (emptied by
 * every COMMIT), and INSERT … SELECT … ON CONFLICT moves it into the target (one statement for new keys, a second
 * for update's differing rows) in the transaction that also advances the checkpoint. Built where it runs from the
 * planned table: no SQL text travels between processes.
 */
export class MergeStage {
  readonly copySql: string;
  private readonly stage: string;
  private readonly columns: string[];
  /** A catch-up's write times: staged (bigint) for the COPY's shape, never merged. */
  private readonly stagedOnly: string[];
  private readonly key: string[];
  /** update's merge leaves a row that is already equal unwritten (no new row version); null until a session checked it. */
  private compareRows: boolean | undefined;

  constructor(table: SourceTable, private readonly target: TargetName, format: 'text' | 'binary', readonly mode: 'skip' | 'update') {
    const qualified = qualifiedName(target);
    this.stage = stageNames.get(qualified) ?? `c2y_stage_${stageNames.size + 1}`;
    stageNames.set(qualified, this.stage);
    this.columns = writtenColumns(table);
    this.stagedOnly = table.columns.filter((column) => column.stagedOnly === true).map((column) => column.name);
    this.key = mergeKeyColumns(table);
    this.copySql = `COPY pg_temp.${this.stage} (${stagedColumns(table).map(quoteIdent).join(', ')}) FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`;
  }

  /**
   * The merge of the open transaction's staged rows. `sql` inserts the rows whose key is new (ON CONFLICT DO NOTHING:
   * one index probe a row, whatever the planner thinks of the stage); `existingSql` counts the staged rows it did
   * not insert (their key was there), in the same statement; update's `updateSql` then rewrites those that differ
   * (the rows just inserted are equal, and stay unwritten). A join of the stage with the target would count the same
   * keys, but the planner may hash it over a scan of the whole target at every commit.
   */
  merge(): { readonly sql: string; readonly existingSql: string; readonly updateSql?: string } {
    const list = this.columns.map(quoteIdent).join(', ');
    const insert = `INSERT INTO ${qualifiedName(this.target)} AS existing (${list}) SELECT ${list} FROM pg_temp.${this.stage} ON CONFLICT (${this.key.map(quoteIdent).join(', ')})`;
    const inserted = { sql: `${insert} DO NOTHING RETURNING 1`, existingSql: `SELECT (SELECT count(*) FROM pg_temp.${this.stage}) - (SELECT count(*) FROM merged) AS n` };
    const values = this.columns.filter((column) => !this.key.includes(column)).map(quoteIdent);
    if (this.mode === 'skip' || values.length === 0) return inserted;
    const update = `${insert} DO UPDATE SET ${values.map((column) => `${column} = EXCLUDED.${column}`).join(', ')}`;
    const changedOnly = ` WHERE ROW(${values.map((c) => `existing.${c}`).join(', ')}) IS DISTINCT FROM ROW(${values.map((c) => `EXCLUDED.${c}`).join(', ')})`;
    return { ...inserted, updateSql: `${update}${this.compareRows === false ? '' : changedOnly}` };
  }

  /**
   * Makes the stage on this connection when it has none: the written columns with the target's types (CREATE TABLE
   * AS … WITH NO DATA keeps type modifiers), and the target's NOT NULL and CHECK rules on them, so PostgreSQL refuses a
   * bad row at its COPY line (named by key, as without a stage) rather than in the merge. Returns the round trips taken.
   */
  async prepare(client: TargetClient): Promise<number> {
    const held = stagesOn.get(client) ?? new Set<string>();
    if (held.has(this.stage)) return 0;
    const rules = await client.query<{ kind: string; name: string; definition: string | null }>(
      `SELECT 'not null' AS kind, attname::text AS name, NULL AS definition FROM pg_attribute
         WHERE attrelid = to_regclass($1) AND attnotnull AND attnum > 0 AND NOT attisdropped AND attname = ANY($2::text[])
       UNION ALL
       SELECT 'check', conname::text, pg_get_constraintdef(c.oid) FROM pg_constraint c
         WHERE c.conrelid = to_regclass($1) AND c.contype = 'c'
           AND (SELECT bool_and(a.attname = ANY($2::text[])) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey))`,
      [qualifiedName(this.target), this.columns],
    );
    const alters = [
      ...rules.rows.map((rule) => (rule.kind === 'not null' ? `ALTER COLUMN ${quoteIdent(rule.name)} SET NOT NULL` : `ADD CONSTRAINT ${quoteIdent(rule.name)} ${String(rule.definition)}`)),
      ...this.stagedOnly.map((name) => `ADD COLUMN ${quoteIdent(name)} bigint`),
    ];
    const list = this.columns.map(quoteIdent).join(', ');
    await client.query(`DROP TABLE IF EXISTS pg_temp.${this.stage}; CREATE TEMP TABLE ${this.stage} ON COMMIT DELETE ROWS AS SELECT ${list} FROM ${qualifiedName(this.target)} WITH NO DATA`
      + (alters.length > 0 ? `; ALTER TABLE pg_temp.${this.stage} ${alters.join(', ')}` : ''));
    let roundTrips = 2;
    if (this.mode === 'update' && this.compareRows === undefined) {
      // A column type without equality (json, point, xml) cannot be compared: such a table's rows are all rewritten.
      this.compareRows = true;
      this.compareRows = await client.query(`EXPLAIN ${String(this.merge().updateSql)}`).then(() => true, () => false);
      roundTrips++;
    }
    held.add(this.stage);
    stagesOn.set(client, held);
    return roundTrips;
  }
}
