export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** JSON lines (for machines and non-TTY runs) or short human lines. */
  readonly json: boolean;
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
  /** Strings replaced by *** wherever they would appear (passwords). */
  readonly secrets?: readonly string[];
  /** Extra sinks for every line, e.g. the run folder's log file. */
  readonly tee?: ReadonlyArray<(line: string) => void>;
}

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const secrets = options.secrets ?? [];
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (ORDER[level] < threshold) return;
    const merged = { ...bound, ...fields };
    const json = maskSecrets(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...merged }), secrets);
    for (const sink of options.tee ?? []) sink(json);
    if (options.json) {
      write(json);
      return;
    }
    const extras = Object.entries(merged)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    write(maskSecrets(`${level === 'info' ? '' : level.toUpperCase() + ' '}${message}${extras ? '  ' + extras : ''}`, secrets));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
