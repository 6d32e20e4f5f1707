import type { C2yConfig } from '../config/index.js';
import { messageOf } from '../errors/index.js';
import type { Logger, RunStats } from '../observe/index.js';
import { maskValue } from '../observe/index.js';
import type { TargetEndpoint } from '../sink/index.js';
import { isLoopback, newUiToken } from './dashboard-access.js';
import { startDashboard, type Dashboard } from './dashboard-server.js';
import { dashboardState, RateHistory, type DashboardMeta, type DashboardState } from './dashboard-state.js';
import { NodeConnectionsPoller } from './node-connections.js';

export interface RunDashboardInput {
  readonly config: C2yConfig;
  readonly meta: Omit<DashboardMeta, 'endpoints'>;
  readonly stats: RunStats;
  readonly endpoints: readonly TargetEndpoint[];
  readonly secrets: readonly string[];
  readonly logger: Logger;
}

export interface RunDashboard {
  /** Null when uiPort is 0. */
  readonly url: string | null;
  /** Stops sampling and serving, and hands the final state (`dashboard.json`, for `c2y ui`) to `write`. */
  finish(status: DashboardState['status'], write: (file: string, text: string) => void): Promise<void>;
}

/** The token the dashboard requires: the user's, or a new one when it is reachable from other machines; else none. */
export function dashboardToken(config: Pick<C2yConfig, 'uiHost' | 'uiToken'>): { token: string | undefined; generated: boolean } {
  if (config.uiToken !== undefined) return { token: config.uiToken, generated: false };
  return isLoopback(config.uiHost) ? { token: undefined, generated: false } : { token: newUiToken(), generated: true };
}

/** The file in a run folder that `c2y ui` serves. */
export const DASHBOARD_FILE = 'dashboard.json';

/** Samples the run for the chart, reads node connections, and serves the dashboard while the run goes on. */
export async function startRunDashboard(input: RunDashboardInput): Promise<RunDashboard> {
  const { config, stats } = input;
  const meta: DashboardMeta = { ...input.meta, endpoints: input.endpoints.map((endpoint) => endpoint.key) };
  const history = new RateHistory();
  const sampler = setInterval(() => history.sample(stats, meta.estimatedRows), 1000);
  sampler.unref();
  const poller = new NodeConnectionsPoller(input.endpoints, config.target, meta.runId);
  const state = (status: DashboardState['status'] = 'running'): DashboardState => dashboardState(meta, stats, history, poller.readings, status);
  let dashboard: Dashboard | undefined;
  if (config.uiPort !== 0) {
    try {
      const access = dashboardToken(config);
      dashboard = await startDashboard({ host: config.uiHost, port: config.uiPort, state, secrets: input.secrets, token: access.token });
      poller.start();
      // A generated token is shown once, in the link; one the user set is theirs already and stays out of the log.
      input.logger.info('dashboard', { url: access.generated ? `${dashboard.url}?token=${access.token ?? ''}` : dashboard.url, metrics: `${dashboard.url}metrics`, ...(access.token ? { auth: 'token required (Authorization: Bearer for /metrics)' } : {}) });
    } catch (error) {
      // The data matters more than the view of it: the run goes on without a dashboard.
      input.logger.warn('no dashboard for this run', { error: messageOf(error), hint: 'set uiPort to a free port, or 0' });
    }
  }
  return {
    url: dashboard?.url ?? null,
    finish: async (status, write) => {
      clearInterval(sampler);
      history.sample(stats, meta.estimatedRows);
      await dashboard?.close();
      await poller.stop();
      const final = { ...state(status), live: false };
      write(DASHBOARD_FILE, JSON.stringify(maskValue(final, input.secrets), null, 2));
    },
  };
}
