import { visibleLine } from './visible-text.js';
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

/** For plain text only: in JSON or Prometheus text a secret holding " or \\ is escaped and would slip past. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/**
 * The value with every secret replaced in every string and key, at any depth: mask before serializing, so no escape
 * rule of the output format can split a secret from its mask.
 */
export function maskValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.every((secret) => secret.length === 0)) return value;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return maskSecrets(item, secrets);
    if (Array.isArray(item)) return item.map(walk);
    if (item === null || typeof item !== 'object' || item instanceof Date) return item;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(item)) Object.defineProperty(out, maskSecrets(key, secrets), { value: walk(inner), enumerable: true, writable: true, configurable: true });
    return out;
  };
  return walk(value) as T;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  // The run folder's log keeps info lines even when the terminal is told to be quiet.
  const teeThreshold = Math.min(threshold, ORDER.info);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const secrets = options.secrets ?? [];
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (ORDER[level] < Math.min(threshold, teeThreshold)) return;
    const merged = maskValue({ ...bound, ...fields }, secrets);
    const json = JSON.stringify({ time: new Date().toISOString(), level, msg: maskSecrets(message, secrets), ...merged });
    if (ORDER[level] >= teeThreshold) for (const sink of options.tee ?? []) sink(json);
    if (ORDER[level] < threshold) return;
    if (options.json) {
      write(json);
      return;
    }
    const extras = Object.entries(merged)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    // A line for a terminal: fields carry servers' messages and Redis's records, shown and never acted on.
    write(visibleLine(`${level === 'info' ? '' : level.toUpperCase() + ' '}${maskSecrets(message, secrets)}${extras ? '  ' + extras : ''}`));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
