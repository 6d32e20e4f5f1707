import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { redactUrl, type C2yConfig } from '../config/index.js';
import { RunSigner } from '../runner/index.js';
import { C2yError, EXIT, messageOf } from '../errors/index.js';
import { renderReport, terminalFrame, type RunReport } from '../observe/index.js';
import { forTable, migrate, migrateKeyspace, migrateLive, type LiveMigrateOptions, type MigrateOptions } from '../workflow/index.js';
import { cdcNodeOf, type PublishedCdcNode } from '../cdc/index.js';
import { lagText, LiveViews } from './live-views.js';
import { addConfigOptions, tableOrKeyspaceConfig } from './config-options.js';
import { runViews } from './run-views.js';

/** The resume command a user can copy: their own arguments, without --restart, plus --resume <run>. */
export function resumeCommandFor(argv: readonly string[], runId: string): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--restart' || arg === '--json') continue;
    if (arg === '--resume') {
      if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }
    // A Redis URL's password must not be printed in the resume hint.
    const shown = /^rediss?:\/\//.test(arg) ? redactUrl(arg) : arg;
    args.push(/[\s"'$]/.test(shown) ? `'${shown.replace(/'/g, "'\\''")}'` : shown);
  }
  return `c2y ${args.join(' ')} --resume ${runId}`;
}

export function migrateCommand(): Command {
  const command = new Command('migrate').description(summaryOf('migrate'));
  addConfigOptions(command)
    .option('--resume [runId]', 'continue a run (the newest of this table, or of this keyspace, when no id is given)')
    .option('--restart', 'empty the target table (every chosen table, for a keyspace) and start a new run')
    .option('--skip-unsupported', 'keyspace runs: move the tables that can be moved and list the others as skipped (exit 1), instead of refusing the run')
    .option('--distributed', 'run the splits on `c2y worker`s through BullMQ on Redis (--redis) instead of local executors')
    .option('--json', 'print the report as JSON on stdout')
    .option('--live', 'the table (or keyspace) is being written: capture changes from the nodes\' CDC logs before the copy starts, then apply them (until Ctrl-C)')
    .option('--cdc-node <node>', 'with --live, once per Cassandra node: its home (conf/cassandra.yaml, lib/) or <cassandra.yaml>,<lib folder>', (value: string, all: string[] = []) => [...all, value])
    .option('--cdc-published-node <name>', 'with --live, once per Cassandra node whose changes its own `c2y cdc agent --publish` puts in Redis (--redis, C2Y_RUN_KEY): its listen_address', (value: string, all: string[] = []) => [...all, value])
    .option('--enable-cdc', 'with --live: turn CDC on for the table (each chosen table) if it is off, instead of refusing')
    .option('--until-caught-up', 'with --live: stop once the changes written before the apply began are applied, instead of applying until Ctrl-C')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      if ('table' in chosen && options['skipUnsupported'] === true) {
        throw new C2yError('CONFIG_INVALID', '--skip-unsupported is for a whole keyspace: one table is either moved or refused', { hint: 'drop --skip-unsupported, or drop --table to move the keyspace' });
      }
      if (options['live'] === true) {
        const subject = 'keyspace' in chosen ? { keyspace: chosen.keyspace, skipUnsupported: options['skipUnsupported'] === true } : { loaded: chosen.table };
        await withRunControls(options, (common) => runLive(options, common, subject));
        return;
      }
      for (const flag of ['cdcNode', 'cdcPublishedNode', 'enableCdc', 'untilCaughtUp']) {
        if (options[flag] !== undefined) throw new C2yError('CONFIG_INVALID', `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --live`, { hint: 'add --live, or drop it' });
      }
      await withRunControls(options, async (common) => {
        const { report, runFolder } = 'keyspace' in chosen
          ? await migrateKeyspace({ ...common, keyspace: chosen.keyspace, skipUnsupported: options['skipUnsupported'] === true })
          : await migrate({ ...common, loaded: chosen.table });
        if (options['json'] === true) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else process.stdout.write(`${renderReport(report)}\nreport       ${runFolder}/report.json\n`);
        exitForReport(report);
      });
    });
  return command;
}

/** migrate --live: the bulk copy's report, then the apply's lag on stderr, the dashboard and /metrics until Ctrl-C (or caught up). */
async function runLive(options: Record<string, unknown>, common: RunControls, subject: LiveMigrateOptions['subject']): Promise<void> {
  const config = 'loaded' in subject ? subject.loaded.config : forTable(subject.keyspace, '-');
  const nodes = [...((options['cdcNode'] as string[] | undefined) ?? []).map(cdcNodeOf), ...publishedNodes(options, config)];
  const views = new LiveViews(config, [config.source.password, config.target.password, config.uiToken].filter((s): s is string => typeof s === 'string' && s.length > 0));
  try {
    const { report, runFolder, lag } = await migrateLive({
      ...common, subject, nodes, enableCdc: options['enableCdc'] === true, untilCaughtUp: options['untilCaughtUp'] === true,
      onApplying: (folder) => views.applying(folder), onLag: (now) => views.onLag(now),
      onApplyRetry: (retry) => process.stderr.write(`c2y: warning: could not ${retry.what} (${retry.error}); trying again on a new target connection in ${(retry.delayMs / 1000).toFixed(1)} s (try ${retry.attempt} of ${retry.of}); nothing of the failed batch was lost\n`),
      onApplyLockNote: (note) => process.stderr.write(`c2y: ${note}\n`),
      onCollectFailed: (error) => process.stderr.write(`c2y: warning: capture during the copy stopped (${messageOf(error)}); the apply after the copy reads on from its last position, and cdc_raw fills meanwhile\n`),
    });
    if (options['json'] === true) process.stdout.write(JSON.stringify({ ...report, ...(lag ? { live: lag } : {}) }, null, 2) + '\n');
    else process.stdout.write(`${renderReport(report)}\nreport       ${runFolder}/report.json\n${lag ? `live         ${lagText(lag)}\n` : ''}`);
    if (report.status === 'finished' && common.signal.aborted) {
      throw new C2yError('INTERRUPTED', 'the live apply was stopped; every applied change is committed with its log position', { hint: `continue applying: ${common.resumeCommand(report.runId)}` });
    }
    exitForReport(report);
  } finally {
    await views.close();
  }
}

/** The nodes --cdc-published-node names: their changes come through the run's Redis, signed with C2Y_RUN_KEY. */
function publishedNodes(options: Record<string, unknown>, config: C2yConfig): PublishedCdcNode[] {
  const names = (options['cdcPublishedNode'] as string[] | undefined) ?? [];
  if (names.length === 0) return [];
  if (config.redis === undefined) throw new C2yError('CONFIG_INVALID', '--cdc-published-node reads the node\'s changes from Redis: give it', { hint: 'add --redis redis://host:6379 (the one c2y cdc agent --publish writes to)' });
  const published = { redisUrl: config.redis, signer: RunSigner.fromEnv(process.env, 'migrate --live --cdc-published-node') };
  return names.map((name) => ({ name, published }));
}

/** What every run command hands the workflow: resume or restart, Ctrl-C, the resume hint, the log and the views. */
export type RunControls = Omit<MigrateOptions, 'loaded'>;

/**
 * Runs `body` with the run controls: Ctrl-C (or SIGTERM) once cancels in-flight COPYs and ends the run as
 * interrupted; twice quits at once. The log goes above the progress display on a terminal, else as JSON lines.
 */
export async function withRunControls(options: Record<string, unknown>, body: (common: RunControls) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nc2y: interrupting: cancelling in-flight COPYs (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const argv = process.argv.slice(2);
  const tty = process.stderr.isTTY === true && options['json'] !== true;
  const frame = tty ? terminalFrame(process.stderr) : undefined;
  try {
    await body({
      resume: (options['resume'] as string | boolean | undefined) ?? false, restart: options['restart'] === true, distributed: options['distributed'] === true,
      // Read before anything connects: without the key, workers could not tell this run from a forged one.
      ...(options['distributed'] === true ? { runSigner: RunSigner.fromEnv(process.env, 'migrate --distributed') } : {}),
      resumeCommand: (runId: string) => resumeCommandFor(argv, runId), signal: controller.signal,
      jsonLog: !tty, ...(frame ? { logLine: (line: string) => frame.print(line) } : {}), watch: runViews({ tty, ...(frame ? { frame } : {}) }),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** A run that did not end well ends the command with its typed error; one done with rejects exits 1. */
export function exitForReport(report: RunReport): void {
  if (report.status === 'interrupted') {
    throw new C2yError('INTERRUPTED', `run ${report.runId} interrupted; committed work is kept, open transactions were rolled back`, { hint: report.resumeCommand ?? '' });
  }
  const badValue = report.splits.failed.find((failure) => failure.code === 'VALUE_UNREPRESENTABLE');
  if (badValue) {
    throw new C2yError('VALUE_UNREPRESENTABLE', `${badValue.message}; the run stopped (onError: stop), committed work is kept`, {
      hint: `set onError: reject (--set onError=reject) to send such rows to rejects.jsonl and go on, or fix the value; then: ${report.resumeCommand ?? ''}`,
    });
  }
  if (report.status === 'failed') {
    throw new C2yError('SPLITS_FAILED', `${report.splits.failed.length} split(s) of run ${report.runId} failed; the others are committed`, { hint: `${failuresNextStep(report)}, then: ${report.resumeCommand ?? ''}` });
  }
  // Done, but some rows are not in the table (refused values, static-only partitions): rejects.jsonl names them.
  if (report.rejects + report.staticOnlyPartitions > 0) process.exitCode = EXIT.doneWithRejects;
  // A keyspace run that left tables out (--skip-unsupported) is done, but not with every table.
  if ((report.skippedTables ?? []).some((t) => !t.reason.startsWith('view of '))) process.exitCode = EXIT.doneWithRejects;
}

/**
 * What the failed splits' own errors say to do, each once (every split of a renamed target column fails the same
 * way); "fix the cause above" when they say nothing (the log above names each split's error).
 */
function failuresNextStep(report: RunReport): string {
  const steps = [...new Set(report.splits.failed.map((failure) => failure.hint?.replace(/[;,] then resume$/, '')).filter((hint): hint is string => hint !== undefined && hint !== ''))];
  return steps.length === 0 ? 'fix the cause above' : steps.join('; ');
}
