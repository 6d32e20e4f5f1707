import { captureEnds, liveApply, recordCapture, type ApplyRetry, type CdcNode, type LiveLag } from '../cdc/index.js';
import { C2yError } from '../errors/index.js';
import { migrate, type MigrateOptions, type MigrateResult } from './migrate.js';

export interface LiveMigrateOptions extends MigrateOptions {
  /** Every node of the source's data center whose log holds the table's changes (each replica logs its own). */
  readonly nodes: readonly CdcNode[];
  readonly enableCdc: boolean;
  /** Stop once every change written before the apply began is applied (scripts and tests); else apply until Ctrl-C. */
  readonly untilCaughtUp: boolean;
  readonly onLag?: (lag: LiveLag) => void;
  /** Told when the capture during the copy stopped with an error (the apply after the copy reads on from its positions). */
  readonly onCollectFailed?: (error: unknown) => void;
  /** Told when a step of the capture or the apply failed and is tried again (a dropped target connection, say). */
  readonly onApplyRetry?: (retry: ApplyRetry) => void;
  /** Told when the bulk copy is done (its run folder) and changes start to be applied. */
  readonly onApplying?: (runFolder: string) => Promise<void>;
}

export interface LiveMigrateResult extends MigrateResult {
  /** The lag when the apply stopped; absent when the bulk copy did not finish (nothing was applied). */
  readonly lag?: LiveLag;
}

/**
 * A migration of a table that is being written: capture starts (each node's log position recorded in the target)
 * before the bulk copy reads its first page; while the copy runs as `migrate` does, the logs are consumed into the
 * set of changed keys; then those keys are written as the source holds them, and every new change as it comes. A bulk copy that does not finish applies nothing: resume it (`--resume` keeps
 * the recorded positions) and the apply follows.
 */
export async function migrateLive(options: LiveMigrateOptions): Promise<LiveMigrateResult> {
  const { config } = options.loaded;
  if (options.nodes.length === 0) {
    throw new C2yError('CONFIG_INVALID', 'migrate --live reads each Cassandra node\'s CDC log: name the nodes', {
      hint: 'give --cdc-node once per node of the source\'s data center (its Cassandra home, or <cassandra.yaml>,<lib folder>), run where those files are',
    });
  }
  if (options.distributed) throw new C2yError('CONFIG_INVALID', 'migrate --live does not run --distributed yet: the apply reads the nodes\' logs from this machine', { hint: 'drop --distributed' });
  const ends = await captureEnds(config, options.nodes, options.enableCdc);
  const collector = new AbortController();
  let collecting: Promise<unknown> = Promise.resolve();
  const result = await migrate({
    ...options,
    beforeRead: async (run) => {
      await recordCapture(config, ends, run);
      // Consumes the logs while the copy runs (keys noted, positions committed, segments released), so cdc_raw does
      // not fill during a long copy. Should it fail, nothing is lost: the apply after the copy reads on from its positions.
      // A finished run (resumed to go on applying) reads nothing: no collector to start and stop at once.
      if (run.splitsLeft === 0) return;
      collecting = liveApply({ config, nodes: options.nodes, signal: collector.signal, collectOnly: true, ...(options.onApplyRetry ? { onRetry: options.onApplyRetry } : {}) }).catch((error: unknown) => options.onCollectFailed?.(error));
    },
  }).finally(async () => {
    collector.abort();
    await collecting;
  });
  if (result.report.status !== 'finished' || options.signal.aborted) return result;
  await options.onApplying?.(result.runFolder);
  const lag = await liveApply({
    config, nodes: options.nodes, signal: options.signal, ...(options.untilCaughtUp ? { until: Date.now() } : {}), ...(options.onLag ? { onLag: options.onLag } : {}),
    ...(options.onApplyRetry ? { onRetry: options.onApplyRetry } : {}),
  });
  return { ...result, lag };
}
