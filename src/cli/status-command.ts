import { Command, Option } from 'commander';
import { refusePasswordInFlag } from '../config/index.js';
import { distributedStatus, renderStatus, RUN_KEY_ENV, RunSigner } from '../distributed/index.js';
import { C2yError } from '../errors/index.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('distributed runs in Redis: their splits\' states, failures, and the live workers')
    .addOption(new Option('--redis <url>', 'Redis URL without a password (password: C2Y_REDIS_PASSWORD)').env('C2Y_REDIS').makeOptionMandatory())
    .option('--run <id>', 'only this run')
    .option('--limit <n>', 'newest runs to list', '10')
    .option('--json', 'print JSON')
    .action(async (options: { redis: string; run?: string; limit: string; json?: boolean }, command: Command) => {
      if (command.getOptionValueSource('redis') === 'cli') refusePasswordInFlag(options.redis, '--redis');
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new C2yError('CONFIG_INVALID', `--limit must be a whole number above 0, got "${options.limit}"`, { hint: 'e.g. --limit 10' });
      // With the run key, forged records are shown as such; without it, as unchecked.
      const signer = process.env[RUN_KEY_ENV] ? RunSigner.fromEnv(process.env, 'c2y status') : undefined;
      const status = await distributedStatus(options.redis, { ...(options.run ? { runId: options.run } : {}), limit, ...(signer ? { signer } : {}) });
      process.stdout.write(options.json === true ? JSON.stringify(status, null, 2) + '\n' : renderStatus(status) + '\n');
    });
}
