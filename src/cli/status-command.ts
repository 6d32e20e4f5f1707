import { Command } from 'commander';
import { summaryOf } from './command-table.js';
import { addConfigOptions, configWithPasswords } from './config-options.js';
import { C2yError } from '../errors/index.js';
import { distributedStatus, renderStatus, RUN_KEY_ENV, RunSigner } from '../runner/index.js';
import { CheckpointStore, openTarget, firstTargetEndpoint, type RunSummary } from '../sink/index.js';

function renderLocalRuns(runs: readonly RunSummary[], where: string): string {
  if (runs.length === 0) return `runs: none in ${where}`;
  const lines = [`runs in ${where}:`];
  for (const run of runs) {
    lines.push(`  ${run.runId}  ${run.status.padEnd(11)} ${run.source} → ${run.target}  started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`);
    const kind = run.catchup ? `; catch-up pass of rows written since ${run.catchup.since}${run.catchup.passSeconds === null ? '' : `, ${run.catchup.passSeconds.toFixed(1)} s with its validate`}`
      : run.onExisting === 'refuse' ? '' : `; into rows already there (${run.onExisting})`;
    lines.push(`    splits ${run.splitsDone}/${run.splits} done, ${run.rowsCommitted.toLocaleString('en-US')} rows committed${kind}`);
  }
  return lines.join('\n');
}

export function statusCommand(): Command {
  const command = new Command('status').description(summaryOf('status'));
  addConfigOptions(command)
    .option('--run <id>', 'only this run')
    .option('--limit <n>', 'newest runs to list', '10')
    .option('--json', 'print JSON')
    .action(async (options: Record<string, unknown>) => {
      const limit = Number(options['limit']);
      if (!Number.isInteger(limit) || limit <= 0) throw new C2yError('CONFIG_INVALID', `--limit must be a whole number above 0, got "${String(options['limit'])}"`, { hint: 'e.g. --limit 10' });
      const runId = options['run'] as string | undefined;
      // Without --keyspace/--table every run is listed; the placeholders only satisfy the config's required keys.
      const { config } = await configWithPasswords({ keyspace: '*', table: '*', ...options });
      const json = options['json'] === true;
      if (config.redis !== undefined) {
        // Distributed runs: from Redis. With the run key, forged records are shown as such; without it, as unchecked.
        const signer = process.env[RUN_KEY_ENV] ? RunSigner.fromEnv(process.env, 'c2y status') : undefined;
        const status = await distributedStatus(config.redis, { ...(runId ? { runId } : {}), limit, ...(signer ? { signer } : {}) });
        process.stdout.write(json ? JSON.stringify(status, null, 2) + '\n' : renderStatus(status) + '\n');
        return;
      }
      // Local runs: the target's own record of them (c2y.runs and c2y.checkpoints).
      const endpoint = firstTargetEndpoint(config.target, 'set target.hosts (or --redis for distributed runs)');
      const target = await openTarget(endpoint, config.target, 'c2y status');
      try {
        const source = config.source.keyspace === '*' ? undefined : `${config.source.keyspace}.${config.source.table}`;
        const runs = await new CheckpointStore(config.target.checkpointSchema).listRuns(target, { limit, ...(runId ? { runId } : {}), ...(source ? { source } : {}) })
          .catch((error: unknown) => {
            if ((error as { code?: string }).code === '42P01') return [];
            throw error;
          });
        const where = `${config.target.database} on ${endpoint.key} (${config.target.checkpointSchema}.runs)`;
        process.stdout.write(json ? JSON.stringify({ runs }, null, 2) + '\n' : renderLocalRuns(runs, where) + '\n');
      } finally {
        await target.end();
      }
    });
  return command;
}
