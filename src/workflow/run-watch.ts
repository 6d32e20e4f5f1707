import type { C2yConfig } from '../config/index.js';
import type { Logger, RunMeta, RunReport, RunStats } from '../observe/index.js';
import type { TargetEndpoint } from '../sink/index.js';

/** A run as its views see it: its live figures (stats) and where it writes. */
export interface RunView {
  readonly config: C2yConfig;
  readonly stats: RunStats;
  readonly endpoints: readonly TargetEndpoint[];
  readonly secrets: readonly string[];
  readonly logger: Logger;
  readonly meta: RunMeta;
}

export interface RunWatch {
  /** The run ended: stop the views, and hand what they keep (the dashboard's last state) to `write`. */
  finish(status: RunReport['status'], write: (file: string, text: string) => void): Promise<void>;
}

/**
 * What the CLI attaches to a run once it is planned (progress, dashboard, /metrics). Workflows call it and never
 * print or serve themselves, so the same workflow runs under a terminal, under a test, or inside a bench.
 */
export type RunWatcher = (run: RunView) => Promise<RunWatch>;

/** No views: a workflow run from a test or a bench. */
export const noWatch: RunWatcher = () => Promise.resolve({ finish: () => Promise.resolve() });
