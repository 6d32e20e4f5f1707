import { resolve } from 'node:path';
import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError } from '../errors/index.js';
import { createLogger, terminalFrame, type Logger } from '../observe/index.js';
import { runViews } from './run-views.js';
import { forTable, newRunId, RunFolder, validateRun, unexplained, type ValidateSummary } from '../workflow/index.js';
import { tlsWarnings, type C2yConfig, type KeyspaceConfig } from '../config/index.js';
import { openTarget, firstTargetEndpoint, type TargetClient } from '../sink/index.js';
import { keyspaceTables, openCassandra, sessionOptionsOf, type CassandraClient } from '../source/index.js';
import type { ValidateResult } from '../workflow/index.js';
import { addConfigOptions, bucketsOption, tableOrKeyspaceConfig } from './config-options.js';

function summaryLine(result: ValidateResult): string {
  const { missing, extra, different, duplicate, rejected } = result.counts;
  return `source ${result.sourceRows} rows, target ${result.targetRows} rows; ${result.differingBuckets} of ${result.buckets} buckets differ; missing ${missing}, extra ${extra}, different ${different}, duplicate ${duplicate}; rejected by the run (recorded, not counted as differences) ${rejected}`;
}

/** Settings validate cannot keep: refused, never ignored. */
function refuseUnkept(config: Pick<C2yConfig, 'source'> | Pick<KeyspaceConfig, 'source'>): void {
  // Validate reads both sides in full; it does not pace its reads yet, and a limit it cannot keep is refused.
  if (config.source.readsPerSecond !== undefined) throw new C2yError('CONFIG_INVALID', 'validate does not keep source.readsPerSecond yet', { hint: 'unset source.readsPerSecond for validate (C2Y_SOURCE_READS_PER_SECOND, --set), or run it when Cassandra can take a full read' });
  if (config.source.adaptive) throw new C2yError('CONFIG_INVALID', 'validate does not adapt its reads (source.adaptive) yet', { hint: 'set source.adaptive=false for validate (--set source.adaptive=false), or run it when Cassandra can take a full read' });
}

interface Sides {
  readonly cassandra: CassandraClient;
  readonly target: TargetClient;
  readonly logger: Logger;
  readonly secrets: readonly string[];
  readonly tty: boolean;
  readonly frame: ReturnType<typeof terminalFrame> | undefined;
}

/** Both sides open (the target's first node), and the terminal's logger; an unreachable target closes Cassandra. */
async function openSides(config: KeyspaceConfig, json: boolean): Promise<Sides> {
  const endpoint = firstTargetEndpoint(config.target);
  const cassandra = await openCassandra(sessionOptionsOf(config.source));
  // An open Cassandra session keeps the process alive: an unreachable target must not leave it open.
  // The target's timeouts lifted for this session too ('all'): --repair writes and deletes on it.
  const target = await openTarget(endpoint, config.target, 'c2y validate', 'all').catch(async (error: unknown) => {
    await cassandra.shutdown().catch(() => undefined);
    throw error;
  });
  const secrets = [config.source.password, config.target.password, config.uiToken].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const tty = process.stderr.isTTY === true && !json;
  const frame = tty ? terminalFrame(process.stderr) : undefined;
  const logger = createLogger({ json: !tty, level: config.logLevel, secrets, ...(frame ? { write: (line: string) => frame.print(line) } : {}) });
  for (const warning of tlsWarnings(config)) logger.warn('INSECURE TLS: certificate checks are off', { detail: warning });
  return { cassandra, target, logger, secrets, tty, frame };
}

export function validateCommand(): Command {
  const command = new Command('validate').description(summaryOf('validate'));
  addConfigOptions(command)
    .option('--buckets <n>', 'hash buckets of the primary key compared one by one', '1024')
    .option('--repair', 'write missing and different rows from the source, delete extra rows, then validate again')
    .option('--json', 'print the summary as JSON')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      const config = 'keyspace' in chosen ? chosen.keyspace : chosen.table.config;
      refuseUnkept(config);
      const buckets = bucketsOption(options);
      const json = options['json'] === true;
      const sides = await openSides(config, json);
      const controller = new AbortController();
      const onInterrupt = (): void => controller.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const run = (tableConfig: C2yConfig, validateId: string): ReturnType<typeof validateRun> => validateRun({
          config: tableConfig, cassandra: sides.cassandra, target: sides.target, buckets, repair: options['repair'] === true, validateId,
          signal: controller.signal, logger: sides.logger, secrets: sides.secrets, watch: runViews({ tty: sides.tty, ...(sides.frame ? { frame: sides.frame } : {}) }),
        });
        if ('keyspace' in chosen) await validateKeyspace(chosen.keyspace, sides, run, json);
        else await validateOne(chosen.table.config, run, json);
      } finally {
        process.off('SIGINT', onInterrupt);
        await sides.cassandra.shutdown();
        await sides.target.end();
      }
    });
  return command;
}

type RunOne = (config: C2yConfig, validateId: string) => ReturnType<typeof validateRun>;

async function validateOne(config: C2yConfig, run: RunOne, json: boolean): Promise<void> {
  const { summary, result, after } = await run(config, `validate-${newRunId()}`);
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(`${summaryLine(result)}\ndiff: ${summary.diffFile}\n`);
    if (after) process.stdout.write(`repaired ${summary.repairedRows} row(s); after repair: ${summaryLine(after)}\n`);
  }
  const final = after ?? result;
  if (unexplained(final) > 0) {
    throw new C2yError('ROWS_DIFFER', `${unexplained(final)} row(s) differ between source and target`, { hint: `see ${summary.diffFile}; add --repair to fix them` });
  }
}

/**
 * Without a table: every chosen table validated in turn, each in its own folder (`validate-<id>-<table>`), and one
 * summary for the keyspace (`validate-<id>/keyspace-summary.json`). A table that cannot be validated (no target
 * table, say) is recorded with its error and the others go on; the exit code says the worst of them.
 */
async function validateKeyspace(config: KeyspaceConfig, sides: Sides, run: RunOne, json: boolean): Promise<void> {
  const chosen = await keyspaceTables(sides.cassandra, config.source.keyspace, config.source);
  const validateId = `validate-${newRunId()}`;
  const tables: Array<{ table: string; summary: ValidateSummary | null; error: { code: string; message: string } | null }> = [];
  for (const name of chosen.tables) {
    try {
      const { summary } = await run(forTable(config, name), `${validateId}-${name}`);
      tables.push({ table: name, summary, error: null });
      if (!json) process.stdout.write(`${name}: source ${summary.sourceRows}, target ${summary.targetRows}, differences ${summary.afterRepair?.differences ?? summary.differences}${summary.repairedRows > 0 ? ` (repaired ${summary.repairedRows})` : ''}\n`);
    } catch (error) {
      if (!(error instanceof C2yError) || error.code === 'INTERRUPTED') throw error;
      tables.push({ table: name, summary: null, error: { code: error.code, message: error.message } });
      if (!json) process.stdout.write(`${name}: not validated: ${error.code}: ${error.message}\n`);
    }
  }
  const differing = tables.filter((t) => (t.summary?.afterRepair?.differences ?? t.summary?.differences ?? 0) > 0);
  const failed = tables.filter((t) => t.error !== null);
  const summary = { keyspace: config.source.keyspace, tables, views: chosen.views, excluded: chosen.excluded, differingTables: differing.map((t) => t.table), failedTables: failed.map((t) => t.table) };
  RunFolder.forRun(resolve(config.runDir), validateId).write('keyspace-summary.json', JSON.stringify(summary, null, 2));
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else process.stdout.write(`keyspace ${config.source.keyspace}: ${tables.length} table(s) validated, ${differing.length} differ, ${failed.length} could not be validated\n`);
  if (failed.length > 0) {
    throw new C2yError('VALIDATE_FAILED', `${failed.length} table(s) could not be validated: ${failed.map((t) => `${t.table} (${t.error?.code ?? ''})`).join(', ')}`, { hint: 'see each table\'s line above; fix it, or leave it out with --exclude-tables' });
  }
  if (differing.length > 0) {
    throw new C2yError('ROWS_DIFFER', `rows differ in ${differing.length} table(s): ${differing.map((t) => t.table).join(', ')}`, { hint: 'each table\'s diff.jsonl names them; add --repair to fix them' });
  }
}
