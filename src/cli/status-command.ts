import { Command } from 'commander';
import { distributedStatus, renderStatus } from '../distributed/index.js';
import { C2yError } from '../errors/index.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('distributed runs in Redis: their splits\' states, failures, and the live workers')
    .requiredOption('--redis <url>', 'Redis URL (or C2Y_REDIS)', process.env.C2Y_REDIS)
    .option('--run <id>', 'only this run')
    .option('--limit <n>', 'newest runs to list', '10')
    .option('--json', 'print JSON')
    .action(async (options: { redis: string; run?: string; limit: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new C2yError('CONFIG_INVALID', `--limit must be a whole number above 0, got "${options.limit}"`, { hint: 'e.g. --limit 10' });
      const status = await distributedStatus(options.redis, { ...(options.run ? { runId: options.run } : {}), limit });
      process.stdout.write(options.json === true ? JSON.stringify(status, null, 2) + '\n' : renderStatus(status) + '\n');
    });
}
