import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { cutSplits, isWholeRing, splitToJson } from '../plan/index.js';
import { ownRecord, qualifiedName, type SourceTable, type TargetName } from '../schema/index.js';
import { ConnectionBalancer, CopyIn, copyStatement, describeServer, parseTargetHosts, type TargetClient } from '../sink/index.js';
import { readRing, sourceSelection, type CassandraClient } from '../source/index.js';
import { keyTokenFunction } from '../digest/index.js';
import { createLogger, type Logger, type RunListener } from '../observe/index.js';
import { localRunner } from '../runner/index.js';
import type { RunnerTask } from '../task/index.js';
import { mergeDigest, type CollectedRow, type TargetPart } from '../task/index.js';
import { BucketDigests, rowShape, type RowShape } from '../digest/index.js';
import { NULL } from '../digest/index.js';
export interface RowDifference {
  /**
   * missing / extra / different; duplicate: the target holds the key more than once; rejected: missing, but the run
   * recorded it in its rejects (onError: reject, or a partition with only static cells), with the reason.
   */
  readonly kind: 'missing' | 'extra' | 'different' | 'duplicate' | 'rejected';
  /** Primary key column → canonical text. */
  readonly key: Readonly<Record<string, string>>;
  /** Why the row is not in the target: the recorded reject's reason, or why the target cannot hold it. */
  readonly reason?: string;
  /** For `different`: each column whose values differ. */
  readonly columns?: ReadonlyArray<{ readonly column: string; readonly source: string; readonly target: string }>;
}

export type DifferenceCounts = Readonly<Record<RowDifference['kind'], number>>;

export interface ValidateResult {
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly buckets: number;
  readonly differingBuckets: number;
  /** Differences by kind; the rows themselves went to the caller round by round (onRound). */
  readonly counts: DifferenceCounts;
  /** Drill-down passes: differing buckets are read back in rounds that each fit the drill-down's byte budget. */
  readonly rounds: number;
  /** Tasks of each side, run by executors × cores like migrate's. */
  readonly sourceSplits: number;
  readonly targetParts: number;
}

/** One drill-down round: its named differences and the rows behind them (what repair writes and deletes). */
export interface RoundFindings {
  readonly differences: readonly RowDifference[];
  readonly sourceRowsByKey: ReadonlyMap<string, CollectedRow>;
  readonly targetRowsByKey: ReadonlyMap<string, CollectedRow>;
}

export interface ValidateInput {
  readonly config: C2yConfig;
  readonly cassandra: CassandraClient;
  readonly target: TargetClient;
  readonly table: SourceTable;
  readonly targetName: TargetName;
  readonly buckets: number;
  /** Names this validation in connection names (`c2y <runId> …`), so the dashboard can count them. */
  readonly runId?: string;
  readonly listener?: RunListener;
  /** Where the runner's warnings go (default: dropped; validate's own findings are in its result). */
  readonly log?: Logger;
  readonly signal?: AbortSignal;
  /** The latest migrate run's rejects of this table: reject key (keyRecordText) → reason. */
  readonly rejected?: ReadonlyMap<string, string>;
}

/** Splits of the ring and parts of the target table, digested by the same executors × cores as migrate. */
interface ValidatePlan {
  readonly tasks: Array<{ readonly id: number; readonly side: 'source' | 'target'; readonly make: (collect: readonly number[]) => RunnerTask }>;
}

/** Cuts the target into `count` parts that each task can read without scanning the rest. */
export async function targetParts(admin: TargetClient, target: TargetName, count: number): Promise<TargetPart[]> {
  const server = await describeServer(admin);
  if (server.dialect === 'yugabyte') {
    const width = Math.ceil(65536 / count);
    return Array.from({ length: count }, (_, id) => ({ id, kind: 'yb-hash' as const, from: id * width, to: Math.min(65535, (id + 1) * width - 1) }));
  }
  const result = await admin.query<{ blocks: string }>(
    "SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS blocks", [qualifiedName(target)],
  );
  const blocks = Number(result.rows[0]?.blocks ?? 0);
  const parts = Math.max(1, Math.min(count, blocks));
  const width = Math.ceil(Math.max(1, blocks) / parts);
  // The last part is open-ended: pages added while validate runs are read too.
  return Array.from({ length: parts }, (_, id) => ({ id, kind: 'blocks' as const, fromBlock: id * width, toBlock: id === parts - 1 ? null : (id + 1) * width }));
}

async function planValidate(input: ValidateInput): Promise<ValidatePlan> {
  // The run's selection on both sides: the source reads only it, the target keeps only it (source.where in SQL,
  // token ranges by each row's key token), so rows left out on purpose are neither missing nor extra.
  const selection = sourceSelection(input.config, input.table);
  if (!isWholeRing(selection.tokens)) {
    const token = keyTokenFunction(input.table);
    if (typeof token === 'string') throw new C2yError('CONFIG_INVALID', `validate cannot keep source.tokenRanges for ${input.table.name}: ${token}`, { hint: 'validate without source.tokenRanges/skipTokenRanges (every row of the target is then compared with the whole source table)' });
  }
  const splits = cutSplits(readRing(input.cassandra, input.table.keyspace), Math.max(1, input.config.parallelism), selection.tokens);
  const parts = await targetParts(input.target, input.targetName, Math.max(1, input.config.parallelism));
  const { buckets, targetName } = input;
  const source = splits.map((split) => ({
    id: split.id, side: 'source' as const,
    make: (collect: readonly number[]): RunnerTask => ({ id: split.id, spec: { kind: 'digest-source', split: splitToJson(split), buckets, collect } }),
  }));
  const target = parts.map((part) => ({
    id: splits.length + part.id, side: 'target' as const,
    make: (collect: readonly number[]): RunnerTask => ({ id: splits.length + part.id, spec: { kind: 'digest-target', part, target: targetName, buckets, collect } }),
  }));
  // Interleaved, so both sides are read at once and neither waits for the other.
  const tasks: ValidatePlan['tasks'] = [];
  for (let i = 0; i < Math.max(source.length, target.length); i++) {
    if (source[i]) tasks.push(source[i] as ValidatePlan['tasks'][number]);
    if (target[i]) tasks.push(target[i] as ValidatePlan['tasks'][number]);
  }
  return { tasks };
}

interface PassResult {
  readonly source: BucketDigests;
  readonly target: BucketDigests;
  readonly sourceRows: CollectedRow[];
  readonly targetRows: CollectedRow[];
}

async function runPass(input: ValidateInput, plan: ValidatePlan, collect: readonly number[]): Promise<PassResult> {
  const endpoints = parseTargetHosts(input.config.target.hosts, input.config.target.port);
  const outcome = await localRunner.run({
    config: input.config, runId: input.runId ?? 'validate', table: input.table,
    tasks: plan.tasks.map((task) => task.make(collect)),
    balancer: new ConnectionBalancer(endpoints, input.config.target.loadBalance, input.config.target.maxConnectionsPerNode),
    listener: input.listener ?? (() => undefined),
    log: input.log ?? createLogger({ json: true, level: 'error', write: () => undefined }),
    signal: input.signal ?? new AbortController().signal,
  });
  const failure = outcome.failed[0];
  if (failure) {
    throw new C2yError('VALIDATE_FAILED', `validate could not read ${outcome.failed.length} split(s)/part(s); first (task ${failure.splitId}): ${failure.error.message}`, {
      hint: failure.error.hint ?? 'check that both sides are reachable, then run validate again',
    });
  }
  if (outcome.interrupted) throw new C2yError('INTERRUPTED', 'validate was interrupted', { hint: 'run validate again' });
  const result: PassResult = { source: new BucketDigests(input.buckets), target: new BucketDigests(input.buckets), sourceRows: [], targetRows: [] };
  for (const task of plan.tasks) {
    const digest = outcome.digests.get(task.id);
    if (!digest) throw new C2yError('VALIDATE_FAILED', `validate task ${task.id} returned no digest`, { hint: 'run validate again' });
    mergeDigest(task.side === 'source' ? result.source : result.target, digest);
    // A loop, not push(...rows): a spread of a round's hundreds of thousands of rows overflows the call stack.
    const rows = task.side === 'source' ? result.sourceRows : result.targetRows;
    for (const row of digest.collected) rows.push(row);
  }
  return result;
}

function keyRecord(shape: RowShape, values: readonly string[]): Record<string, string> {
  const out = ownRecord<string>();
  for (const index of shape.keyIndexes) out[(shape.columns[index] as { name: string }).name] = values[index] as string;
  return out;
}

/**
 * Canonical characters the drill-down gathers per round, both sides together: an executor's task may hold a whole
 * round (one split can own every differing row), so a round is sized from the executor's heap, like migrate's buffer.
 */
export function drillDownBudget(config: C2yConfig): number {
  return Math.max(1024 * 1024, Math.floor(config.executorMemory / 16));
}

/** Groups differing buckets into rounds of at most `budget` characters (a bucket larger than that is a round alone). */
export function drillDownRounds(bad: readonly number[], source: BucketDigests, target: BucketDigests, budget: number): number[][] {
  const rounds: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const bucket of bad) {
    const cost = (source.bytes[bucket] ?? 0) + (target.bytes[bucket] ?? 0);
    if (current.length > 0 && size + cost > budget) {
      rounds.push(current);
      current = [];
      size = 0;
    }
    current.push(bucket);
    size += cost;
  }
  if (current.length > 0) rounds.push(current);
  return rounds;
}

/**
 * Pass 1: per bucket of the canonical key's hash, count and digest on both sides, split by split (source) and
 * part by part (target), in executors. Then, only for buckets that differ, drill-down rounds: the same tasks return
 * those buckets' rows, a round's worth at a time, and each missing, extra, different or duplicate key is named and
 * handed to `onRound` before the next round is read. PostgreSQL cannot compute Cassandra tokens, so buckets of the
 * key's hash are where the two sides meet.
 */
export async function validateTable(input: ValidateInput, onRound: (round: RoundFindings) => Promise<void> = async () => undefined): Promise<ValidateResult> {
  const shape = rowShape(input.table);
  const plan = await planValidate(input);
  const first = await runPass(input, plan, []);
  const bad = first.source.differingBuckets(first.target);
  const counts: Record<RowDifference['kind'], number> = { missing: 0, extra: 0, different: 0, duplicate: 0, rejected: 0 };
  const rounds = drillDownRounds(bad, first.source, first.target, drillDownBudget(input.config));
  for (const buckets of rounds) {
    const round = compareRound(shape, await runPass(input, plan, buckets), input.rejected ?? new Map());
    for (const difference of round.differences) counts[difference.kind]++;
    await onRound(round);
  }
  if (bad.length > 0 && Object.values(counts).every((n) => n === 0)) {
    throw new C2yError('VALIDATE_FAILED', `${bad.length} bucket(s) differ in count or digest, but no row could be named as different`, {
      hint: 'the table changed while validate read it, or the canonical forms disagree; run validate again, and report it if it repeats',
    });
  }
  const sides = plan.tasks.map((task) => task.side);
  return {
    sourceRows: first.source.rows, targetRows: first.target.rows, buckets: input.buckets, differingBuckets: bad.length, counts, rounds: rounds.length,
    sourceSplits: sides.filter((side) => side === 'source').length, targetParts: sides.filter((side) => side === 'target').length,
  };
}

function compareRound(shape: RowShape, pass: PassResult, rejected: ReadonlyMap<string, string>): RoundFindings {
  const sourceRowsByKey = new Map<string, CollectedRow>();
  const targetRowsByKey = new Map<string, CollectedRow>();
  const differences: RowDifference[] = [];
  for (const row of pass.sourceRows) sourceRowsByKey.set(row.key, row);
  for (const row of pass.targetRows) {
    // Only a target without a primary key can hold a key twice; the counts differ and the key must be named.
    if (targetRowsByKey.has(row.key)) differences.push({ kind: 'duplicate', key: keyRecord(shape, row.values) });
    targetRowsByKey.set(row.key, row);
  }
  for (const difference of compareRows(shape, sourceRowsByKey, targetRowsByKey, rejected)) differences.push(difference);
  return { differences, sourceRowsByKey, targetRowsByKey };
}

/** Names each source row missing from the target (or rejected), each extra target row, and each differing column. */
function compareRows(shape: RowShape, source: ReadonlyMap<string, CollectedRow>, target: ReadonlyMap<string, CollectedRow>, rejected: ReadonlyMap<string, string>): RowDifference[] {
  const differences: RowDifference[] = [];
  for (const [key, row] of source) {
    const other = target.get(key);
    if (!other) {
      const reason = row.rejectKey === undefined ? undefined : rejected.get(row.rejectKey);
      if (reason !== undefined) differences.push({ kind: 'rejected', key: keyRecord(shape, row.values), reason });
      else differences.push({ kind: 'missing', key: keyRecord(shape, row.values), ...(row.unwritable ? { reason: row.unwritable } : {}) });
      continue;
    }
    const columns = shape.columns
      .map((column, index) => ({ column: column.name, source: shownValue(row.values[index] as string), target: shownValue(other.values[index] as string) }))
      .filter((c) => c.source !== c.target);
    if (columns.length > 0) differences.push({ kind: 'different', key: keyRecord(shape, row.values), columns });
  }
  for (const [key, row] of target) {
    if (!source.has(key)) differences.push({ kind: 'extra', key: keyRecord(shape, row.values) });
  }
  return differences;
}

/** The NULL marker as the word a reader expects in diff.jsonl. */
function shownValue(canonical: string): string {
  return canonical === NULL ? 'NULL' : canonical;
}

/** Keys per DELETE statement: one scan of the table per batch, whatever the batch's size. */
const DELETE_BATCH = 1000;

/**
 * Writes one round's missing and different rows from the source and deletes its extra, duplicate and different
 * ones, inside the caller's open transaction (one for all rounds: a failed repair changes nothing).
 */
export async function repairRound(input: ValidateInput, found: RoundFindings): Promise<number> {
  const shape = rowShape(input.table);
  const keySql = shape.keyIndexes.map((index) => (shape.columns[index] as RowShape['columns'][number]).canonical.sql);
  // Sets: a duplicate and a difference of one key name it twice; it is deleted and written once.
  const deleting = new Set<ReadonlyArray<string | null>>();
  const writing = new Set<string>();
  for (const difference of found.differences) {
    // A rejected row stays out: the run decided the target cannot hold it.
    if (difference.kind === 'rejected') continue;
    const key = shape.keyIndexes.map((index) => difference.key[(shape.columns[index] as { name: string }).name]).join('\u001f');
    const targetKey = found.targetRowsByKey.get(key)?.targetKey;
    if (difference.kind !== 'missing' && targetKey !== undefined) deleting.add(targetKey);
    const line = found.sourceRowsByKey.get(key)?.copyLine;
    if (difference.kind !== 'extra' && line !== undefined) writing.add(line);
  }
  const toDelete = [...deleting];
  const toWrite = [...writing];
  for (let at = 0; at < toDelete.length; at += DELETE_BATCH) {
    const batch = toDelete.slice(at, at + DELETE_BATCH);
    // Column i of every key travels as one text[] parameter; unnest zips them back into rows.
    const columns = keySql.map((_, i) => batch.map((key) => key[i] ?? null));
    await input.target.query(
      `DELETE FROM ${qualifiedName(input.targetName)} WHERE (${keySql.join(', ')}) IN (SELECT * FROM unnest(${keySql.map((_, i) => `$${i + 1}::text[]`).join(', ')}))`,
      columns,
    );
  }
  if (toWrite.length > 0) {
    const copy = CopyIn.start(input.target, copyStatement(input.table, input.targetName));
    await copy.write(Buffer.from(toWrite.join(''), 'utf8'));
    await copy.finish();
  }
  return toDelete.length + toWrite.length;
}
