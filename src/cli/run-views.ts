import { startProgress, type TerminalFrame } from '../observe/index.js';
import { startRunDashboard } from '../ui/index.js';
import type { RunWatcher } from '../workflow/index.js';

/** Below info on the terminal: no progress bar either (its lines are info). */
function quietLevel(level: string): boolean {
  return level === 'warn' || level === 'error';
}

/**
 * The views the CLI attaches to a migrate or validate run: the dashboard and /metrics (when uiPort is not 0), and
 * the progress display (on a terminal a bar under the log lines, else a progress log line every few seconds).
 */
export function runViews(terminal: { readonly tty: boolean; readonly frame?: TerminalFrame }): RunWatcher {
  return async (run) => {
    const dashboard = await startRunDashboard(run);
    const stopProgress = startProgress({
      stats: run.stats, estimatedRows: run.meta.estimatedRows, tty: terminal.tty && !quietLevel(run.config.logLevel), logger: run.logger,
      ...(terminal.frame ? { frame: terminal.frame } : {}), maxAttempts: run.config.maxRetries + 1, ...(run.meta.tables ? { tables: run.meta.tables } : {}),
    });
    return {
      finish: async (status, write) => {
        stopProgress();
        await dashboard.finish(status, write);
      },
    };
  };
}
