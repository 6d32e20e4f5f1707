import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError } from '../errors/index.js';
import { renderReport } from '../observe/index.js';
import { cutover, liveTablesOf, type CutoverResult } from '../workflow/index.js';
import { liveCutover } from '../cdc/index.js';
import type { C2yConfig } from '../config/index.js';
import { catchupLine } from './catchup-command.js';
import { addConfigOptions, bucketsOption, tableOrKeyspaceConfig } from './config-options.js';
import { exitForReport, withRunControls } from './migrate-command.js';

/**
 * Resolves once the operator pressed Enter on the terminal; Ctrl-C (which a terminal in readline's hands gives to
 * readline, not to the process) or SIGTERM cancels the cut-over before anything ran.
 */
function enterPressed(signal: AbortSignal): Promise<void> {
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve, reject) => {
    const cancel = (): void => {
      lines.close();
      reject(new C2yError('INTERRUPTED', 'cut-over cancelled before the freeze: no pass ran and nothing changed', { hint: 'the application may go on writing; run c2y cutover again when ready' }));
    };
    if (signal.aborted) return cancel();
    signal.addEventListener('abort', cancel, { once: true });
    lines.once('SIGINT', cancel);
    lines.once('line', () => {
      signal.removeEventListener('abort', cancel);
      lines.close();
      resolve();
    });
  });
}

/** The freeze: said on the terminal and confirmed there, or already done by the caller (--frozen, for scripts). */
function freezeConfirmation(frozen: boolean, signal: AbortSignal, expected: (seconds: number) => string = (seconds) => `the last pass took ${seconds.toFixed(1)} s`): (expectedSeconds: number) => Promise<void> {
  return async (expectedSeconds) => {
    if (frozen) {
      process.stderr.write(`c2y cutover: writes are frozen (--frozen); the final pass starts (${expected(expectedSeconds)})\n`);
      return;
    }
    if (process.stdin.isTTY !== true) {
      throw new C2yError('CONFIG_INVALID', 'cutover has no terminal to confirm the freeze on', { hint: "freeze the application's writes, then run c2y cutover --frozen" });
    }
    process.stderr.write(`c2y cutover: FREEZE WRITES NOW (${expected(expectedSeconds)}); press Enter once the application no longer writes (Ctrl-C cancels)\n`);
    await enterPressed(signal);
  };
}

/** A final pass cut short is finished by catchup (cutover would refuse while it is unfinished), without cutover's own flags. */
function catchupResumeCommand(command: string): string {
  return command.replace(/^c2y cutover/, 'c2y catchup').replace(/ --max-freeze-seconds \S+/, '').replace(/ --frozen\b/, '');
}

function printResult(result: CutoverResult, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ switch: result.switchNow, freezeSeconds: result.freezeSeconds, lastPassSeconds: result.lastPassSeconds, lastRunId: result.lastRunId, report: result.pass.report, scanSeconds: result.pass.scanSeconds, validate: result.pass.validate }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`${renderReport(result.pass.report)}\n${catchupLine(result.pass)}\n`);
  if (result.switchNow) process.stdout.write(`SWITCH: the target matches the source; the freeze took ${result.freezeSeconds.toFixed(1)} s (the last pass before it ${result.lastPassSeconds.toFixed(1)} s)\n`);
}

/** A number option above 0 (or 0 and above), refused with its name otherwise. */
function numberOption(options: Record<string, unknown>, key: string, flag: string, allowZero: boolean): number {
  const value = Number(options[key]);
  if (!(allowZero ? value >= 0 : value > 0)) throw new C2yError('CONFIG_INVALID', `${flag} must be a number ${allowZero ? '0 or more' : 'above 0'}, got "${String(options[key])}"`, { hint: `e.g. ${flag} 5` });
  return value;
}

/** cutover --live: the checks, the freeze and the drain, then "switch" (or why not). */
async function runLiveCutover(options: Record<string, unknown>, configs: readonly C2yConfig[], signal: AbortSignal): Promise<void> {
  const result = await liveCutover({
    configs, maxLagSeconds: numberOption(options, 'maxLagSeconds', '--max-lag-seconds', false), clockMarginMs: numberOption(options, 'clockMarginMs', '--clock-margin-ms', true),
    drainTimeoutMs: 60_000, freeze: freezeConfirmation(options['frozen'] === true, signal, (seconds) => `expected freeze about ${seconds.toFixed(1)} s: the lag, then the checks`), onStep: (text) => process.stderr.write(`c2y cutover: ${text}\n`),
  });
  if (options['json'] === true) process.stdout.write(JSON.stringify({ switch: result.switchNow, ...result }, null, 2) + '\n');
  else {
    if (result.tables.length > 1) {
      for (const t of result.tables) process.stdout.write(`${t.table}: ${t.keysBefore} key(s) checked before the freeze, ${t.keysDuring} in it, ${t.differences} differ; rows: source ${t.counts.source}, target ${t.counts.target}\n`);
    }
    process.stdout.write(`checked ${result.during.keys} key(s) written since the first check (${result.during.differences.length} differ); rows: source ${result.counts.source}, target ${result.counts.target}; the apply passed the freeze after ${result.drainSeconds.toFixed(1)} s\n`);
    if (result.switchNow) process.stdout.write(`SWITCH: the target matches the source; the freeze took ${result.freezeSeconds.toFixed(1)} s\n`);
  }
  if (!result.switchNow) {
    const named = result.differences.slice(0, 3).map((difference) => `${difference.table}: ${difference.kind} ${JSON.stringify(difference.key)}`).join('; ');
    throw new C2yError('ROWS_DIFFER', `do not switch: ${result.during.differences.length} row(s) differ${named ? ` (${named})` : ''}, rows: source ${result.counts.source}, target ${result.counts.target} (were writes frozen?)`, {
      hint: 'let the application write again if it must; make sure nothing writes to the source during the freeze, then run c2y cutover --live again',
    });
  }
}

export function cutoverCommand(): Command {
  const command = new Command('cutover').description(summaryOf('cutover'));
  addConfigOptions(command)
    .option('--max-freeze-seconds <n>', 'refuse unless the last catch-up pass took at most this long', '60')
    .option('--frozen', 'the application\'s writes are frozen already (scripts): do not ask on the terminal')
    .option('--buckets <n>', 'validate\'s hash buckets for the final pass', '1024')
    .option('--json', 'print the outcome, the final pass\'s report and its validate summary as JSON on stdout')
    .option('--live', 'cut over a live migration (c2y migrate --live applying): check the keys written since the copy, freeze, drain the lag, check again and count')
    .option('--max-lag-seconds <n>', 'with --live: refuse while the apply is further behind than this', '10')
    .option('--clock-margin-ms <n>', 'with --live: how far this machine\'s clock and the Cassandra nodes\' may differ', '1000')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      if (options['live'] === true) {
        await withRunControls(options, async (common) => {
          const tables = 'keyspace' in chosen ? await liveTablesOf(chosen.keyspace) : { live: [chosen.table.config], notLive: [] };
          if (tables.notLive.length > 0) process.stderr.write(`c2y cutover: not live-migrated into this target, so not checked: ${tables.notLive.join(', ')}\n`);
          await runLiveCutover(options, tables.live, common.signal);
        });
        return;
      }
      if ('keyspace' in chosen) throw new C2yError('CONFIG_INVALID', 'cutover by scan takes one table (--table)', { hint: 'cut over one table at a time, or a live-migrated keyspace with --live' });
      const maxFreezeSeconds = Number(options['maxFreezeSeconds']);
      const buckets = bucketsOption(options);
      if (!(maxFreezeSeconds > 0)) throw new C2yError('CONFIG_INVALID', `--max-freeze-seconds must be a number above 0, got "${String(options['maxFreezeSeconds'])}"`, { hint: 'e.g. --max-freeze-seconds 30' });
      await withRunControls(options, async (common) => {
        const result = await cutover({
          ...common, resumeCommand: (runId) => catchupResumeCommand(common.resumeCommand(runId)), loaded: chosen.table, marginSeconds: chosen.table.config.catchupMarginSeconds, buckets, maxFreezeSeconds, freeze: freezeConfirmation(options['frozen'] === true, common.signal),
        });
        printResult(result, options['json'] === true);
        exitForReport(result.pass.report);
        if (!result.switchNow) {
          throw new C2yError('ROWS_DIFFER', 'do not switch: rows still differ after the final pass (were writes frozen?)', { hint: `see ${result.pass.validate?.diffFile ?? 'the diff file'}; make sure nothing writes to the source, then run c2y cutover --frozen again` });
        }
      });
    });
  return command;
}
