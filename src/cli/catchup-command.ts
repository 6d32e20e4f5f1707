import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError } from '../errors/index.js';
import { renderReport } from '../observe/index.js';
import { catchup, catchupDifferences, type CatchupResult } from '../workflow/index.js';
import { addConfigOptions, bucketsOption, tableOrKeyspaceConfig } from './config-options.js';
import { exitForReport, withRunControls } from './migrate-command.js';

/** One line a person reads to judge the pass: what it wrote, what it deleted, and how long each part took. */
export function catchupLine(result: CatchupResult): string {
  const { report, validate } = result;
  const since = report.catchup ? `since ${report.catchup.since}` : '';
  const scan = `scan ${result.scanSeconds.toFixed(1)} s: ${report.rows.toLocaleString('en-US')} row(s) written ${since}, ${(report.catchup?.rowsOlder ?? 0).toLocaleString('en-US')} older left alone`;
  if (!validate) return `catch-up pass: ${scan}; not validated (the scan did not finish)`;
  const { extra, missing, different, duplicate } = validate.found;
  return `catch-up pass: ${scan}; validate ${validate.seconds.toFixed(1)} s: ${extra} deleted from the source (extra), ${missing} missing, ${different} different, ${duplicate} duplicate; repaired ${validate.repairedRows}; `
    + `${catchupDifferences(result)} difference(s) left; ${(result.scanSeconds + validate.seconds).toFixed(1)} s in all`;
}

export function catchupCommand(): Command {
  const command = new Command('catchup').description(summaryOf('catchup'));
  addConfigOptions(command)
    .option('--resume [runId]', 'continue a catch-up pass that did not finish (the newest run of this table when no id is given)')
    .option('--distributed', 'run the pass\'s splits on `c2y worker`s through Redis (--redis), as migrate --distributed; its validate runs here')
    .option('--buckets <n>', 'validate\'s hash buckets for finding deleted rows', '1024')
    .option('--json', 'print the pass (its run report and its validate summary) as JSON on stdout')
    .action(async (options: Record<string, unknown>) => {
      const chosen = await tableOrKeyspaceConfig(options);
      if ('keyspace' in chosen) throw new C2yError('CONFIG_INVALID', 'catchup takes one table (--table) for now', { hint: 'run c2y catchup once per table' });
      const buckets = bucketsOption(options);
      await withRunControls(options, async (common) => {
        const result = await catchup({ ...common, loaded: chosen.table, marginSeconds: chosen.table.config.catchupMarginSeconds, buckets });
        if (options['json'] === true) process.stdout.write(JSON.stringify({ report: result.report, scanSeconds: result.scanSeconds, validate: result.validate }, null, 2) + '\n');
        else process.stdout.write(`${renderReport(result.report)}\nreport       ${result.runFolder}/report.json\n${catchupLine(result)}\n`);
        exitForReport(result.report);
        const left = catchupDifferences(result);
        if (left > 0) {
          throw new C2yError('ROWS_DIFFER', `${left} row(s) still differ after the catch-up's repair`, { hint: `see ${result.validate?.diffFile ?? 'the diff file'}; the source was written while the pass read it: run c2y catchup again` });
        }
      });
    });
  return command;
}
