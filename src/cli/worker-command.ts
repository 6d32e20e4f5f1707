import { hostname } from 'node:os';
import { Command } from 'commander';
import { configSchema, parseMemorySize, redactUrl, urlPassword } from '../config/index.js';
import { runWorker } from '../distributed/index.js';
import { C2yError } from '../errors/index.js';
import { createLogger } from '../observe/index.js';

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 256) throw new C2yError('CONFIG_INVALID', `${flag} must be a whole number 1–256, got "${value}"`, { hint: `e.g. ${flag} 4` });
  return n;
}

/** --address-map goes through the same rule as the config key, so a mistake reads the same everywhere. */
function addressMapOf(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = configSchema.shape.source.shape.addressMap.safeParse(text);
  if (!parsed.success) throw new C2yError('CONFIG_INVALID', `--address-map: ${parsed.error.issues[0]?.message ?? 'invalid'} ("${text}")`, { hint: 'e.g. --address-map 127.0.0.1:9042=10.0.0.5:9042,127.0.0.1:5433=10.0.0.5:5433' });
  return parsed.data;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('serve distributed runs from Redis: pull split jobs and run them, as an executor of a local run would')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://10.0.0.9:6379 (or C2Y_REDIS)', process.env.C2Y_REDIS)
    .option('--cores <n>', 'concurrent splits on this machine (default: the run\'s cores)')
    .option('--executor-memory <size>', 'heap of this worker\'s executor, e.g. 4g (default: the run\'s executorMemory)')
    .option('--name <name>', 'unique worker name (default: host/pid)')
    .option('--address-map <list>', 'where this machine dials the run\'s nodes: host:port=host:port,…')
    .option('--json', 'log JSON lines')
    .action(async (options: { redis: string; cores?: string; executorMemory?: string; name?: string; addressMap?: string; json?: boolean }) => {
      if (!/^rediss?:\/\//.test(options.redis)) throw new C2yError('CONFIG_INVALID', `--redis must be a redis:// or rediss:// URL, got "${redactUrl(options.redis)}"`, { hint: 'e.g. --redis redis://10.0.0.9:6379' });
      const executorMemory = options.executorMemory === undefined ? undefined : parseMemorySize(options.executorMemory);
      if (options.executorMemory !== undefined && executorMemory === undefined) throw new C2yError('CONFIG_INVALID', `--executor-memory "${options.executorMemory}" is not a memory size`, { hint: 'e.g. --executor-memory 4g or 4096m' });
      const secrets = { source: process.env['C2Y_SOURCE_PASSWORD'], target: process.env['C2Y_TARGET_PASSWORD'] };
      const logger = createLogger({ json: options.json === true || process.stderr.isTTY !== true, secrets: [secrets.source, secrets.target, urlPassword(options.redis)].filter((s): s is string => typeof s === 'string' && s.length > 0) });
      const stop = new AbortController();
      let signals = 0;
      const onSignal = (): void => {
        signals++;
        // First: finish the splits in flight. Second: quit now; their jobs go to other workers once the lock lapses.
        if (signals > 1) process.exit(130);
        process.stderr.write('c2y worker: stopping after the splits in flight (again to quit at once)\n');
        stop.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await runWorker({
        redisUrl: options.redis, name: options.name ?? `${hostname()}/${process.pid}`, cores: positive(options.cores, '--cores'), executorMemory,
        addressMap: addressMapOf(options.addressMap), secrets, logger, signal: stop.signal,
      });
    });
}
