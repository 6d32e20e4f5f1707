import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { summaryOf } from './command-table.js';
import { parse as parseYaml } from 'yaml';
import { configSchema, parseMemorySize, redactUrl, refusePasswordInFlag, urlPassword } from '../config/index.js';
import { RunSigner, runWorker, workerPolicy, type WorkerPolicyInput } from '../runner/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { createLogger } from '../observe/index.js';
import { askHidden, withPromptedRedisPassword } from './password-prompt.js';

interface WorkerFlags {
  redis: string;
  cores?: string;
  executorMemory?: string;
  name?: string;
  addressMap?: string;
  config?: string;
  allowSource?: string;
  allowTarget?: string;
  sourceTls?: string;
  sourceTlsCa?: string;
  targetSslMode?: string;
  targetSslRootCert?: string;
  runShare: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  json?: boolean;
  askPassword?: boolean;
}

interface WorkerSecrets {
  readonly redisUrl: string;
  readonly source: string | undefined;
  readonly target: string | undefined;
}

/** The worker's own passwords: from its environment, or typed (--ask-password) for what the environment lacks. */
export async function workerSecrets(redisUrl: string, askPassword: boolean, env: NodeJS.ProcessEnv, ask = askHidden): Promise<WorkerSecrets> {
  const fromEnv = (name: string): string | undefined => (env[name] ?? '') === '' ? undefined : env[name];
  if (!askPassword) return { redisUrl, source: fromEnv('C2Y_SOURCE_PASSWORD'), target: fromEnv('C2Y_TARGET_PASSWORD') };
  const target = fromEnv('C2Y_TARGET_PASSWORD') ?? (await ask('password for the target (every run this worker serves): '));
  const source = fromEnv('C2Y_SOURCE_PASSWORD') ?? ((await ask('password for Cassandra (empty if it has no authentication): ')) || undefined);
  return { redisUrl: await withPromptedRedisPassword(redisUrl, ask, env), source, target };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 256) throw new C2yError('CONFIG_INVALID', `${flag} must be a whole number 1–256, got "${value}"`, { hint: `e.g. ${flag} 4` });
  return n;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new C2yError('CONFIG_INVALID', `${flag} must be a number of seconds 0–86400, got "${value}"`, { hint: `e.g. ${flag} 30` });
  return n;
}

/** --address-map goes through the same rule as the config key, so a mistake reads the same everywhere. */
function addressMapOf(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = configSchema.shape.source.shape.addressMap.safeParse(text);
  if (!parsed.success) throw new C2yError('CONFIG_INVALID', `--address-map: ${parsed.error.issues[0]?.message ?? 'invalid'} ("${text}")`, { hint: 'e.g. --address-map 127.0.0.1:9042=10.0.0.5:9042,127.0.0.1:5433=10.0.0.5:5433' });
  return parsed.data;
}

function readWorkerFile(path: string | undefined): WorkerPolicyInput {
  if (path === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new C2yError('CONFIG_FILE_UNREADABLE', `cannot read the worker settings ${path}: ${messageOf(error)}`, { hint: 'check the path given to --config and its YAML' });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new C2yError('CONFIG_INVALID', `the worker settings ${path} must hold a mapping of keys`, { hint: 'keys: allowSource, allowTarget, source.tls, source.tlsCa, target.sslMode, target.sslRootCert' });
  return parsed as WorkerPolicyInput;
}

/** The worker's own settings: its file, with each flag given taking the file's place. */
function policyOf(flags: WorkerFlags): ReturnType<typeof workerPolicy> {
  const file = readWorkerFile(flags.config);
  const fileSource = (file.source ?? {}) as Record<string, unknown>;
  const fileTarget = (file.target ?? {}) as Record<string, unknown>;
  return workerPolicy({
    ...file,
    allowSource: flags.allowSource ?? file.allowSource,
    allowTarget: flags.allowTarget ?? file.allowTarget,
    source: { ...fileSource, ...(flags.sourceTls ? { tls: flags.sourceTls } : {}), ...(flags.sourceTlsCa ? { tlsCa: flags.sourceTlsCa } : {}) } as WorkerPolicyInput['source'],
    target: { ...fileTarget, ...(flags.targetSslMode ? { sslMode: flags.targetSslMode } : {}), ...(flags.targetSslRootCert ? { sslRootCert: flags.targetSslRootCert } : {}) } as WorkerPolicyInput['target'],
  });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description(summaryOf('worker'))
    .addOption(new Option('--redis <url>', 'Redis URL without a password, e.g. rediss://10.0.0.9:6379 (password: C2Y_REDIS_PASSWORD)').env('C2Y_REDIS').makeOptionMandatory())
    .option('--allow-source <list>', 'Cassandra nodes this worker may connect to: hosts, IPs or CIDR blocks, each with an optional :port')
    .option('--allow-target <list>', 'target nodes this worker may connect to, as for --allow-source')
    .option('--source-tls <mode>', 'TLS to Cassandra: disable, require, verify-ca, verify-full (a run may not ask for more)')
    .option('--source-tls-ca <file>', 'PEM of the CA that signed the Cassandra nodes\' certificates')
    .option('--target-ssl-mode <mode>', 'TLS to the target: disable, require, verify-ca, verify-full (a run may not ask for more)')
    .option('--target-ssl-root-cert <file>', 'PEM of the CA that signed the target\'s certificates')
    .option('--config <file>', 'this worker\'s settings as YAML: allowSource, allowTarget, source.tls/tlsCa, target.sslMode/sslRootCert')
    .option('--cores <n>', 'concurrent splits on this machine (default: the run\'s cores)')
    .option('--executor-memory <size>', 'heap of this worker\'s executor, e.g. 4g (default: the run\'s executorMemory)')
    .option('--name <name>', 'unique worker name (default: host/pid)')
    .option('--run-share <seconds>', 'with several runs pending, how long this worker serves one before turning to the next', '30')
    .option('--address-map <list>', 'where this machine dials the run\'s nodes: host:port=host:port,…')
    .addOption(new Option('--log-level <level>', 'log lines from this level up').choices(['error', 'warn', 'info', 'debug']).env('C2Y_LOG_LEVEL').default('info'))
    .option('--json', 'log JSON lines')
    .option('--ask-password', 'ask on the terminal for the passwords the environment does not give (target, Cassandra, Redis)')
    .action(async (options: WorkerFlags, command: Command) => {
      if (!/^rediss?:\/\//.test(options.redis)) throw new C2yError('CONFIG_INVALID', `--redis must be a redis:// or rediss:// URL, got "${redactUrl(options.redis)}"`, { hint: 'e.g. --redis redis://10.0.0.9:6379' });
      if (command.getOptionValueSource('redis') === 'cli') refusePasswordInFlag(options.redis, '--redis');
      const executorMemory = options.executorMemory === undefined ? undefined : parseMemorySize(options.executorMemory);
      if (options.executorMemory !== undefined && executorMemory === undefined) throw new C2yError('CONFIG_INVALID', `--executor-memory "${options.executorMemory}" is not a memory size`, { hint: 'e.g. --executor-memory 4g or 4096m' });
      // Both checked before Redis is touched: a worker without them must not take a single job.
      const signer = RunSigner.fromEnv(process.env, 'c2y worker');
      const policy = policyOf(options);
      const { redisUrl, ...secrets } = await workerSecrets(options.redis, options.askPassword === true, process.env);
      const logger = createLogger({ json: options.json === true || process.stderr.isTTY !== true, level: options.logLevel, secrets: [secrets.source, secrets.target, urlPassword(redisUrl), process.env['C2Y_REDIS_PASSWORD'], process.env['C2Y_RUN_KEY']].filter((s): s is string => typeof s === 'string' && s.length > 0) });
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
        redisUrl, name: options.name ?? `${hostname()}/${process.pid}`, cores: positive(options.cores, '--cores'), executorMemory,
        addressMap: addressMapOf(options.addressMap), secrets, policy, signer, logger, signal: stop.signal, runShareMs: seconds(options.runShare, '--run-share') * 1000,
      });
    });
}
