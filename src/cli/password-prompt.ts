import { redactUrl, urlPassword } from '../config/index.js';
import { C2yError } from '../errors/index.js';

/** Reads one line from the terminal without echoing it. */
export function askHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) {
    return Promise.reject(new C2yError('CONFIG_INVALID', '--ask-password needs a terminal to read from', {
      hint: 'without a terminal, put the password in the config file or in C2Y_SOURCE_PASSWORD / C2Y_TARGET_PASSWORD',
    }));
  }
  // Echo off before the question shows: a password typed the instant it appears must not reach the screen.
  input.setRawMode(true);
  output.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new C2yError('INTERRUPTED', 'password prompt interrupted', { hint: 'run the command again' }));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.resume();
    input.on('data', onData);
  });
}

/** --ask-password: asks for the target password, and the source's when a source user is set, unless already given. */
/** The settings a password prompt reads and fills: a one-table config or a keyspace-wide one. */
interface WithPasswords {
  readonly config: {
    readonly redis?: string | undefined;
    readonly target: { readonly user: string; readonly password?: string | undefined };
    readonly source: { readonly username?: string | undefined; readonly password?: string | undefined };
  };
}

export async function withPromptedPasswords<L extends WithPasswords>(loaded: L, ask = askHidden, env: NodeJS.ProcessEnv = process.env): Promise<L> {
  const { config } = loaded;
  const target = config.target.password ?? (await ask(`password for ${config.target.user} on the target: `));
  const source = config.source.password ?? (config.source.username !== undefined ? await ask(`password for ${config.source.username} on Cassandra: `) : undefined);
  const redis = config.redis === undefined ? undefined : await withPromptedRedisPassword(config.redis, ask, env);
  return {
    ...loaded,
    config: {
      ...config,
      target: { ...config.target, password: target },
      source: { ...config.source, ...(source !== undefined ? { password: source } : {}) },
      ...(redis === undefined ? {} : { redis }),
    },
  };
}

/**
 * The Redis URL with the password typed at the prompt, unless the URL or C2Y_REDIS_PASSWORD already has one. An
 * empty answer means a Redis without AUTH. The URL is masked wherever c2y shows it, and never stored in Redis.
 */
export async function withPromptedRedisPassword(url: string, ask = askHidden, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (urlPassword(url) !== undefined || (env['C2Y_REDIS_PASSWORD'] ?? '') !== '') return url;
  const typed = await ask(`password for Redis at ${redactUrl(url)} (empty if it has none): `);
  if (typed === '') return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(typed);
  return parsed.toString();
}
