import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError } from '../errors/index.js';
import { createLogger, RunStats, terminalFrame } from '../observe/index.js';
import { runViews } from './run-views.js';
import { newRunId, RunFolder } from '../workflow/index.js';
import { redactConfig, tlsWarnings } from '../config/index.js';
import { keyRecordText, qualifiedName, type SourceTable } from '../schema/index.js';
import { CheckpointStore, openTarget, parseTargetHosts, targetNameOf, type Queryable } from '../sink/index.js';
import { describeMappedTable, openCassandra, sessionOptionsOf } from '../source/index.js';
import { repairRound, validateTable, type RoundFindings, type ValidateResult } from '../workflow/index.js';
import { addConfigOptions, configWithPasswords } from './config-options.js';

function summaryLine(result: ValidateResult): string {
  const { missing, extra, different, duplicate, rejected } = result.counts;
  return `source ${result.sourceRows} rows, target ${result.targetRows} rows; ${result.differingBuckets} of ${result.buckets} buckets differ; missing ${missing}, extra ${extra}, different ${different}, duplicate ${duplicate}; rejected by the run (recorded, not counted as differences) ${rejected}`;
}

/** Differences the run did not already record as rejects: these make validate fail. */
function unexplained(result: ValidateResult): number {
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

export function validateCommand(): Command {
  const command = new Command('validate').description(summaryOf('validate'));
  addConfigOptions(command)
    .option('--buckets <n>', 'hash buckets of the primary key compared one by one', '1024')
    .option('--repair', 'write missing and different rows from the source, delete extra rows, then validate again')
    .option('--json', 'print the summary as JSON')
    .action(async (options: Record<string, unknown>) => {
      const { config } = await configWithPasswords(options);
      // Validate reads both sides in full; it does not pace its reads yet, and a limit it cannot keep is refused.
      if (config.source.readsPerSecond !== undefined) throw new C2yError('CONFIG_INVALID', 'validate does not keep source.readsPerSecond yet', { hint: 'unset source.readsPerSecond for validate (C2Y_SOURCE_READS_PER_SECOND, --set), or run it when Cassandra can take a full read' });
      if (config.source.adaptive) throw new C2yError('CONFIG_INVALID', 'validate does not adapt its reads (source.adaptive) yet', { hint: 'set source.adaptive=false for validate (--set source.adaptive=false), or run it when Cassandra can take a full read' });
      const buckets = Number(options['buckets']);
      if (!Number.isInteger(buckets) || buckets < 1) throw new C2yError('CONFIG_INVALID', `--buckets must be a positive whole number, got "${String(options['buckets'])}"`, { hint: 'e.g. --buckets 1024' });
      const endpoint = parseTargetHosts(config.target.hosts, config.target.port)[0];
      if (!endpoint) throw new C2yError('CONFIG_INVALID', 'target.hosts is empty', { hint: 'set target.hosts' });
      const cassandra = await openCassandra(sessionOptionsOf(config.source));
      // An open Cassandra session keeps the process alive: an unreachable target must not leave it open.
      const target = await openTarget(endpoint, config.target, 'c2y validate').catch(async (error: unknown) => {
        await cassandra.shutdown().catch(() => undefined);
        throw error;
      });
      const validateId = `validate-${newRunId()}`;
      const folder = join(resolve(config.runDir), validateId);
      const controller = new AbortController();
      const onInterrupt = (): void => controller.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const table = await describeMappedTable(cassandra, config);
        const targetName = targetNameOf(config.target, config.source.table);
        const secrets = [config.source.password, config.target.password, config.uiToken].filter((v): v is string => typeof v === 'string' && v.length > 0);
        const tty = process.stderr.isTTY === true && options['json'] !== true;
        const frame = tty ? terminalFrame(process.stderr) : undefined;
        const logger = createLogger({ json: !tty, level: config.logLevel, secrets, ...(frame ? { write: (line: string) => frame.print(line) } : {}) });
        for (const warning of tlsWarnings(config)) logger.warn('INSECURE TLS: certificate checks are off', { detail: warning });
        const estimate = await target.query<{ rows: string }>('SELECT greatest(reltuples, 0)::bigint::text AS rows FROM pg_class WHERE oid = $1::regclass', [qualifiedName(targetName)]);
        // Both sides are read: the bar's total is twice the target's row estimate.
        const estimatedRows = 2 * Number(estimate.rows[0]?.rows ?? 0);
        const sourceId = `${config.source.keyspace}.${config.source.table}`;
        const rejected = await recordedRejects(target, config.target.checkpointSchema, sourceId, `${config.target.database}.${targetName.schema}.${targetName.table}`, table);
        const input = { config, cassandra, target, table, targetName, buckets, signal: controller.signal, rejected };
        const files = RunFolder.forRun(resolve(config.runDir), validateId);
        const views = runViews({ tty, ...(frame ? { frame } : {}) });
        let pass = 0;
        // Each executor's peak RSS, every pass: the drill-down must stay within the executors' memory like migrate.
        const peakRss: number[] = [];
        // diff.jsonl is written round by round; with --repair each round is repaired in one transaction for all rounds.
        const validateOnce = async (onRound: (round: RoundFindings) => Promise<void>): Promise<ValidateResult> => {
          const stats = new RunStats([]);
          pass++;
          const watch = await views({
            config, stats, endpoints: parseTargetHosts(config.target.hosts, config.target.port), secrets, logger,
            meta: {
              kind: 'validate', runId: pass === 1 ? validateId : `${validateId}-after-repair`, source: `${config.source.keyspace}.${config.source.table}`,
              target: `${config.target.database}.${qualifiedName(targetName)}`, estimatedRows, planned: null, config: redactConfig(config),
            },
          });
          let status: 'finished' | 'failed' = 'failed';
          try {
            const found = await validateTable({ ...input, runId: validateId, listener: stats.listener, log: logger }, onRound);
            status = 'finished';
            peakRss.push(...[...stats.executors.values()].map((executor) => executor.peakRss));
            return found;
          } finally {
            await watch.finish(status, (name, text) => files.write(name, text));
          }
        };
        const repair = options['repair'] === true;
        files.write('diff.jsonl', '');
        let repaired = 0;
        if (repair) await target.query('BEGIN');
        let result: ValidateResult;
        try {
          result = await validateOnce(async (round) => {
            const lines = round.differences.map((d) => JSON.stringify(d) + '\n').join('');
            if (lines.length > 0 && !files.tryAppend('diff.jsonl', lines)) throw files.failure ?? new C2yError('RUN_FOLDER_UNWRITABLE', 'diff.jsonl cannot be written', { hint: 'free space in the run folder' });
            if (repair) repaired += await repairRound(input, round);
          });
          if (repair) await target.query('COMMIT');
        } catch (error) {
          if (repair) await target.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        const after = repair && unexplained(result) > 0 ? await validateOnce(async () => undefined) : undefined;
        const summary = {
          source: `${config.source.keyspace}.${config.source.table}`, target: `${config.target.database}.${qualifiedName(targetName)}`,
          sourceRows: result.sourceRows, targetRows: result.targetRows, sourceSplits: result.sourceSplits, targetParts: result.targetParts,
          concurrency: { executors: config.executors, cores: config.cores }, buckets: result.buckets, differingBuckets: result.differingBuckets,
          differences: unexplained(result), rejectedByRun: result.counts.rejected, drillDownRounds: result.rounds, executorPeakRssBytes: Math.max(0, ...peakRss), repairedRows: repaired,
          afterRepair: after ? { differences: unexplained(after), sourceRows: after.sourceRows, targetRows: after.targetRows } : null,
          diffFile: join(folder, 'diff.jsonl'),
        };
        files.write('summary.json', JSON.stringify(summary, null, 2));
        if (options['json'] === true) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else {
          process.stdout.write(`${summaryLine(result)}\ndiff: ${summary.diffFile}\n`);
          if (after) process.stdout.write(`repaired ${repaired} row(s); after repair: ${summaryLine(after)}\n`);
        }
        const final = after ?? result;
        if (unexplained(final) > 0) {
          throw new C2yError('ROWS_DIFFER', `${unexplained(final)} row(s) differ between source and target`, { hint: `see ${summary.diffFile}; add --repair to fix them` });
        }
      } finally {
        process.off('SIGINT', onInterrupt);
        await cassandra.shutdown();
        await target.end();
      }
    });
  return command;
}
