import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cdcSpaceWarning, type LiveLag } from '../cdc/index.js';
import type { C2yConfig } from '../config/index.js';
import { messageOf } from '../errors/index.js';
import { dashboardToken, DASHBOARD_FILE, startDashboard, type Dashboard, type DashboardState, type LiveApplyState } from '../ui/index.js';

/** The lag and what was applied, in one line. */
export function lagText(lag: LiveLag): string {
  const behind = lag.nodes.filter((node) => node.appliedThrough === null).map((node) => `${node.name} at ${node.read}, ${node.changesRead} change(s) read`);
  const seconds = lag.seconds === null ? `not yet known (not caught up once: ${behind.join('; ')})` : `${lag.seconds.toFixed(1)} s`;
  const down = lag.nodes.filter((node) => node.down !== null).map((node) => `${node.name} down (${String(node.down)})`);
  return `lag ${seconds}, ${lag.pendingChanges} change(s) read and not yet applied; applied ${lag.appliedChanges} change(s): ${lag.appliedKeys} key(s) read again, ${lag.rowsWritten} row(s) written`
    + `${lag.unwritable > 0 ? `, ${lag.unwritable} row(s) the target cannot hold left out` : ''}${down.length > 0 ? `; ${down.join('; ')}` : ''}`
    + `${lag.copiedTtls.state === 'off' ? '' : `; copied TTLs ${lag.copiedTtls.state === 'scanning' ? 'being read' : 'read'}: ${lag.copiedTtls.expiring} row(s) expiring`}`;
}

function applyState(lag: LiveLag): LiveApplyState {
  return {
    lagSeconds: lag.seconds, pendingChanges: lag.pendingChanges, appliedChanges: lag.appliedChanges, appliedKeys: lag.appliedKeys, rowsWritten: lag.rowsWritten, unwritable: lag.unwritable,
    nodes: lag.nodes.map((node) => ({ name: node.name, down: node.down, rawBytes: node.rawBytes, rawLimit: node.rawLimit })),
  };
}

/**
 * What `migrate --live` shows while it applies: the lag on stderr every 2 s, and the dashboard and /metrics again
 * (the bulk copy's final state, with the apply's figures), on the same port, until the apply stops.
 */
export class LiveViews {
  private lag: LiveLag | undefined;
  private shownAt = 0;
  private dashboard: Dashboard | undefined;
  private readonly spaceWarned = new Set<string>();

  constructor(private readonly config: C2yConfig, private readonly secrets: readonly string[]) {}

  onLag(lag: LiveLag): void {
    this.lag = lag;
    for (const node of lag.nodes) {
      const warning = node.rawLimit > 0 ? cdcSpaceWarning(node) : undefined;
      // Once per crossing, not at every batch.
      if (warning !== undefined && !this.spaceWarned.has(node.name)) process.stderr.write(`c2y: warning: ${node.name}: ${warning}\n`);
      if (warning === undefined) this.spaceWarned.delete(node.name);
      else this.spaceWarned.add(node.name);
    }
    if (Date.now() - this.shownAt < 2000) return;
    this.shownAt = Date.now();
    process.stderr.write(`c2y: ${lagText(lag)}\n`);
  }

  /** The bulk copy is done: its run folder holds the dashboard's final state, served again with the apply's figures. */
  async applying(runFolder: string): Promise<void> {
    process.stderr.write('c2y: bulk copy done; applying the changes captured since it began\n');
    if (this.config.uiPort === 0) return;
    try {
      const bulk = JSON.parse(readFileSync(join(runFolder, DASHBOARD_FILE), 'utf8')) as DashboardState;
      const state = (): DashboardState => ({ ...bulk, live: true, updatedAt: new Date().toISOString(), ...(this.lag ? { cdc: applyState(this.lag) } : {}) });
      const access = dashboardToken(this.config);
      this.dashboard = await startDashboard({ host: this.config.uiHost, port: this.config.uiPort, state, secrets: this.secrets, token: access.token });
      // A generated token is shown once, in the link, as the run's own dashboard does.
      const link = access.generated ? `${this.dashboard.url}?token=${access.token ?? ''}` : this.dashboard.url;
      process.stderr.write(`c2y: dashboard ${link} (metrics ${this.dashboard.url}metrics) shows the apply's lag\n`);
    } catch (error) {
      // The data matters more than the view of it.
      process.stderr.write(`c2y: no dashboard for the apply: ${messageOf(error)}\n`);
    }
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
  }
}
