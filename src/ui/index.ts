export { startDashboard } from './dashboard-server.js';
export type { Dashboard, DashboardOptions } from './dashboard-server.js';
export { startRunDashboard, dashboardToken, DASHBOARD_FILE } from './run-dashboard.js';
export type { RunDashboard, RunDashboardInput } from './run-dashboard.js';
export { dashboardState, RateHistory } from './dashboard-state.js';
export type { DashboardState, DashboardMeta, LiveApplyState } from './dashboard-state.js';
export { createRunMetrics } from './run-metrics.js';
export { StateDiffer } from './state-diff.js';
export type { StatePatch } from './state-diff.js';
