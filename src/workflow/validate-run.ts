import { join, resolve } from 'node:path';
import { redactConfig, type C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { RunStats, type Logger } from '../observe/index.js';
import { keyRecordText, qualifiedName, type SourceTable, type TargetName } from '../schema/index.js';
import { CheckpointStore, parseTargetHosts, targetNameOf, type Queryable, type TargetClient } from '../sink/index.js';
import { describeMappedTable, type CassandraClient } from '../source/index.js';
import { RunFolder } from './run-folder.js';
import { noWatch, type RunWatcher } from './run-watch.js';
import { repairRound, validateTable, type RoundFindings, type ValidateResult } from './validate-table.js';

export interface ValidateRunInput {
  readonly config: C2yConfig;
  readonly cassandra: CassandraClient;
  readonly target: TargetClient;
  readonly buckets: number;
  readonly repair: boolean;
  /** Names the run folder (`<runDir>/<validateId>`) and the connections. */
  readonly validateId: string;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly secrets: readonly string[];
  readonly watch?: RunWatcher;
}

/** What `summary.json` holds: both sides' counts, the differences, and what repair did. */
export interface ValidateSummary {
  readonly source: string;
  readonly target: string;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly sourceSplits: number;
  readonly targetParts: number;
  readonly concurrency: { readonly executors: number; readonly cores: number };
  readonly buckets: number;
  readonly differingBuckets: number;
  readonly differences: number;
  readonly rejectedByRun: number;
  readonly drillDownRounds: number;
  readonly executorPeakRssBytes: number;
  readonly repairedRows: number;
  readonly afterRepair: { readonly differences: number; readonly sourceRows: number; readonly targetRows: number } | null;
  readonly diffFile: string;
}

/** Differences the run did not already record as rejects: these make validate fail. */
export function unexplained(result: ValidateResult): number {
  const { missing, extra, different, duplicate } = result.counts;
  return missing + extra + different + duplicate;
}

/** The rejects of the newest migrate run of this source → target (none when no run recorded any). */
async function recordedRejects(target: Queryable, checkpointSchema: string, source: string, targetId: string, table: SourceTable): Promise<Map<string, string>> {
  const store = new CheckpointStore(checkpointSchema);
  const run = await store.findLatestRun(target, source, targetId).catch(() => undefined);
  if (!run) return new Map();
  // Unreadable rejects count as none: their rows then show as missing, which fails validate, never the reverse.
  const rejects = await store.readRejects(target, run.runId).catch(() => []);
  return new Map(rejects.map((reject) => [keyRecordText(table, reject.key), reject.reason]));
}

/** The target table's row estimate (pg_class.reltuples); refused when the table is not there. */
async function targetRowEstimate(target: TargetClient, targetName: TargetName, config: C2yConfig): Promise<number> {
  const estimate = await target.query<{ rows: string | null; found: boolean }>('SELECT (SELECT greatest(reltuples, 0)::bigint::text FROM pg_class WHERE oid = to_regclass($1)) AS rows, to_regclass($1) IS NOT NULL AS found', [qualifiedName(targetName)]);
  if (estimate.rows[0]?.found !== true) {
    throw new C2yError('TARGET_TABLE_MISMATCH', `the target has no table ${qualifiedName(targetName)} to validate ${config.source.keyspace}.${config.source.table} against`, {
      hint: 'migrate the table first (c2y schema --apply creates it), or set target.schema / target.table to where it was written', context: { table: qualifiedName(targetName) },
    });
  }
  return Number(estimate.rows[0]?.rows ?? 0);
}

/**
 * One table validated (and with `repair`, repaired in one transaction and validated again): diff.jsonl written round
 * by round, summary.json at the end, in the validation's own run folder.
 */
export async function validateRun(input: ValidateRunInput): Promise<{ readonly summary: ValidateSummary; readonly result: ValidateResult; readonly after: ValidateResult | undefined }> {
  const { config, target, validateId } = input;
  const table = await describeMappedTable(input.cassandra, config);
  const targetName = targetNameOf(config.target, config.source.table);
  // Both sides are read: the bar's total is twice the target's row estimate.
  const estimatedRows = 2 * (await targetRowEstimate(target, targetName, config));
  const sourceId = `${config.source.keyspace}.${config.source.table}`;
  const targetId = `${config.target.database}.${qualifiedName(targetName)}`;
  const rejected = await recordedRejects(target, config.target.checkpointSchema, sourceId, `${config.target.database}.${targetName.schema}.${targetName.table}`, table);
  const tableInput = { config, cassandra: input.cassandra, target, table, targetName, buckets: input.buckets, signal: input.signal, rejected };
  const files = RunFolder.forRun(resolve(config.runDir), validateId);
  const watch = input.watch ?? noWatch;
  let pass = 0;
  // Each executor's peak RSS, every pass: the drill-down must stay within the executors' memory like migrate.
  const peakRss: number[] = [];
  const validateOnce = async (onRound: (round: RoundFindings) => Promise<void>): Promise<ValidateResult> => {
    const stats = new RunStats([]);
    pass++;
    const watching = await watch({
      config, stats, endpoints: parseTargetHosts(config.target.hosts, config.target.port), secrets: input.secrets, logger: input.logger,
      meta: { kind: 'validate', runId: pass === 1 ? validateId : `${validateId}-after-repair`, source: sourceId, target: targetId, estimatedRows, planned: null, config: redactConfig(config) },
    });
    let status: 'finished' | 'failed' = 'failed';
    try {
      const found = await validateTable({ ...tableInput, runId: validateId, listener: stats.listener, log: input.logger }, onRound);
      status = 'finished';
      peakRss.push(...[...stats.executors.values()].map((executor) => executor.peakRss));
      return found;
    } finally {
      await watching.finish(status, (name, text) => files.write(name, text));
    }
  };
  // diff.jsonl is written round by round; with repair each round is repaired in one transaction for all rounds.
  files.write('diff.jsonl', '');
  let repaired = 0;
  if (input.repair) await target.query('BEGIN');
  let result: ValidateResult;
  try {
    result = await validateOnce(async (round) => {
      const lines = round.differences.map((d) => JSON.stringify(d) + '\n').join('');
      if (lines.length > 0 && !files.tryAppend('diff.jsonl', lines)) throw files.failure ?? new C2yError('RUN_FOLDER_UNWRITABLE', 'diff.jsonl cannot be written', { hint: 'free space in the run folder' });
      if (input.repair) repaired += await repairRound(tableInput, round);
    });
    if (input.repair) await target.query('COMMIT');
  } catch (error) {
    if (input.repair) await target.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  const after = input.repair && unexplained(result) > 0 ? await validateOnce(async () => undefined) : undefined;
  const summary: ValidateSummary = {
    source: sourceId, target: targetId,
    sourceRows: result.sourceRows, targetRows: result.targetRows, sourceSplits: result.sourceSplits, targetParts: result.targetParts,
    concurrency: { executors: config.executors, cores: config.cores }, buckets: result.buckets, differingBuckets: result.differingBuckets,
    differences: unexplained(result), rejectedByRun: result.counts.rejected, drillDownRounds: result.rounds, executorPeakRssBytes: Math.max(0, ...peakRss), repairedRows: repaired,
    afterRepair: after ? { differences: unexplained(after), sourceRows: after.sourceRows, targetRows: after.targetRows } : null,
    diffFile: join(files.path, 'diff.jsonl'),
  };
  files.write('summary.json', JSON.stringify(summary, null, 2));
  return { summary, result, after };
}
