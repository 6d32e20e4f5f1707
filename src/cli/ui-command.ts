import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { C2yError, messageOf } from '../errors/index.js';
import { DASHBOARD_FILE, dashboardToken, startDashboard, type DashboardState } from '../ui/index.js';

function readState(folder: string): DashboardState {
  const file = join(folder, DASHBOARD_FILE);
  if (!existsSync(file)) {
    throw new C2yError('RUN_FOLDER_INVALID', `${folder} holds no ${DASHBOARD_FILE}`, { hint: 'pass a run folder, e.g. c2y-runs/<run id> (runs before c2y wrote dashboards have only report.json)' });
  }
  try {
    return { ...(JSON.parse(readFileSync(file, 'utf8')) as DashboardState), live: false };
  } catch (error) {
    throw new C2yError('RUN_FOLDER_INVALID', `${file} cannot be read: ${messageOf(error)}`, { hint: 'the run folder may be damaged; report.json has the run figures' });
  }
}

export function uiCommand(): Command {
  return new Command('ui')
    .description(summaryOf('ui'))
    .argument('<run-folder>', 'a run folder, e.g. c2y-runs/<run id>')
    .option('--port <port>', 'port (the next free one if taken)', '4040')
    .option('--host <address>', 'bind address', '127.0.0.1')
    .action(async (folder: string, options: { port: string; host: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new C2yError('CONFIG_INVALID', `--port must be 0–65535, got "${options.port}"`, { hint: 'e.g. --port 4040' });
      const state = readState(resolve(folder));
      const access = dashboardToken({ uiHost: options.host, uiToken: process.env['C2Y_UI_TOKEN'] || undefined });
      const dashboard = await startDashboard({ host: options.host, port, state: () => state, secrets: [], refreshMs: 60_000, token: access.token });
      const link = access.generated ? `${dashboard.url}?token=${access.token ?? ''}` : dashboard.url;
      process.stdout.write(`serving run ${state.runId} (${state.status}) read-only at ${link} — Ctrl-C to stop\n`);
      await new Promise<void>((done) => {
        const stop = (): void => void dashboard.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
