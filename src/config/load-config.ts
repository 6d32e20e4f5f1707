import { readFileSync } from 'node:fs';
import { nearestKey } from './nearest-key.js';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { C2yError, messageOf } from '../errors/index.js';
import { CONFIG_KEYS, configSchema, keyspaceConfigSchema, type C2yConfig, type KeyspaceConfig } from './config-schema.js';
import { mapProperties, parsePropertiesText, readsPerSecondOf } from './spark-properties.js';
import { clientCertProblems } from '../tls/index.js';

export interface ConfigSources {
  /** YAML config file. */
  readonly file?: string | undefined;
  /** Spark-style .properties file (seed keys or native keys). */
  readonly properties?: string | undefined;
  /** Usually process.env; only C2Y_* names are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** key → value from the command line, native dotted keys. */
  readonly flags?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export interface LoadedConfig {
  readonly config: C2yConfig;
  /** Spark keys that were accepted but mean nothing here. */
  readonly ignoredKeys: readonly string[];
  /** Settings worked out from Spark keys that need the rest of the config (`key=value → native=value (how)`). */
  readonly derived: readonly string[];
  /** Where each key's value came from, for the report. */
  readonly origins: Readonly<Record<string, 'default' | 'file' | 'properties' | 'env' | 'flag'>>;
}

type Tree = Record<string, unknown>;

/** C2Y_SOURCE_CONTACT_POINTS for source.contactPoints, C2Y_COPY_FLUSH_EVERY for copyFlushEvery. */
export function envNameOf(key: string): string {
  return 'C2Y_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1] as string] = value;
}

function flatten(tree: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return out;
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if ((key === 'source' || key === 'target') && !prefix && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, innerValue] of flatten(value, path)) out.set(inner, innerValue);
    } else out.set(path, value);
  }
  return out;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new C2yError('CONFIG_FILE_UNREADABLE', `cannot read the ${what} ${path}: ${messageOf(error)}`, {
      hint: `check the path given to --${what === 'config file' ? 'config' : 'properties'}`,
    });
  }
}

function unknownKeyError(key: string, where: string): C2yError {
  const close = nearestKey(key, CONFIG_KEYS);
  return new C2yError('CONFIG_INVALID', `unknown config key "${key}" in ${where}`, {
    hint: close ? `did you mean "${close}"?` : 'see c2y.example.yaml or `c2y migrate --help` for the keys',
    context: { key },
  });
}

/** What a value must be, in c2y's words rather than the schema library's. */
function valueRule(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' ? 'must be a number' : issue.expected === 'boolean' ? 'must be true or false' : issue.expected === 'array' ? 'must be a list' : `must be ${issue.expected === 'object' ? 'a mapping of keys' : 'text'}`;
    case 'too_small':
      return issue.origin === 'array' ? `needs at least ${String(issue.minimum)} entry` : issue.origin === 'string' ? `must be at least ${String(issue.minimum)} characters` : `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' ? `must be at most ${String(issue.maximum)} characters` : `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

function describeIssue(issue: z.core.$ZodIssue, raw: Tree): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const full = `${key ? key + '.' : ''}${k}`;
      const close = nearestKey(full, CONFIG_KEYS);
      return `unknown config key "${full}"${close ? ` (did you mean "${close}"?)` : ''}`;
    }).join('; ');
  }
  const given = issue.path.reduce<unknown>((node, part) => (node as Tree | undefined)?.[part as string], raw);
  const shown = given === undefined ? 'nothing' : CONFIG_SECRET_PATHS.has(key) ? '(hidden)' : JSON.stringify(given);
  return `config key "${key}" ${valueRule(issue)} (got ${shown})`;
}

const CONFIG_SECRET_PATHS = new Set(['source.password', 'target.password', 'uiToken']);

function whereSet(key: string, origin: LoadedConfig['origins'][string], sources: ConfigSources): string {
  if (origin === 'file') return `the config file ${sources.file ?? ''}`.trim();
  if (origin === 'properties') return `the properties file ${sources.properties ?? ''}`.trim();
  if (origin === 'env') return `the environment variable ${envNameOf(key)}`;
  return 'the command line';
}

/** Merges defaults < file < properties < env < flags, then validates once. */
interface CollectedConfig {
  readonly raw: Tree;
  readonly origins: Record<string, LoadedConfig['origins'][string]>;
  readonly ignoredKeys: readonly string[];
  readonly pagesPerCorePerSecond: number | undefined;
}

/** Flags > env (C2Y_*) > properties > YAML file > defaults, for a command that moves one table. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const { raw, origins, ignoredKeys, pagesPerCorePerSecond } = collectConfig(sources);
  const config = parseCollected(configSchema, raw, origins, sources);
  if (config.source.tables !== undefined || config.source.excludeTables !== undefined) {
    const key = config.source.tables !== undefined ? 'source.tables' : 'source.excludeTables';
    throw new C2yError('CONFIG_INVALID', `config key "${key}" chooses tables for a keyspace-wide command, but this command moves one table (source.table ${config.source.table})`, {
      hint: `remove ${key} (set ${whereSet(key, origins[key] ?? 'default', sources)}), or leave out source.table: c2y schema, plan and validate then take the whole keyspace`,
      context: { key },
    });
  }
  for (const key of CONFIG_KEYS) origins[key] ??= 'default';
  const certProblems = clientCertProblems(config);
  if (certProblems.length > 0) throw new C2yError('CONFIG_INVALID', certProblems.join('; '), { hint: 'give both files of the client certificate (PEM) and a TLS mode other than disable, or neither' });
  const throttle = pagesPerCorePerSecond === undefined ? undefined : connectorReadThrottle(config, pagesPerCorePerSecond, origins);
  return { config: throttle?.config ?? config, ignoredKeys, derived: throttle ? [throttle.note] : [], origins };
}

/** The same sources for a keyspace-wide command: source.table is optional, source.tables and excludeTables choose. */
export function loadKeyspaceConfig(sources: ConfigSources): { readonly config: KeyspaceConfig; readonly ignoredKeys: readonly string[] } {
  const { raw, origins, ignoredKeys } = collectConfig(sources);
  return { config: parseCollected(keyspaceConfigSchema, raw, origins, sources), ignoredKeys };
}

function collectConfig(sources: ConfigSources): CollectedConfig {
  const raw: Tree = {};
  const origins: Record<string, LoadedConfig['origins'][string]> = {};
  let ignoredKeys: readonly string[] = [];
  let pagesPerCorePerSecond: number | undefined;

  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readText(sources.file, 'config file'));
    } catch (error) {
      if (error instanceof C2yError) throw error;
      throw new C2yError('CONFIG_INVALID', `config file ${sources.file} is not valid YAML: ${messageOf(error)}`, {
        hint: 'fix the YAML syntax at the line named above',
      });
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new C2yError('CONFIG_INVALID', `config file ${sources.file} must hold a mapping of keys, not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`, {
        hint: 'write keys such as "source:" and "parallelism:" at the top level',
      });
    }
    for (const [key, value] of flatten(parsed ?? {})) {
      if (!CONFIG_KEYS.includes(key)) throw unknownKeyError(key, sources.file);
      setPath(raw, key, value);
      origins[key] = 'file';
    }
  }

  if (sources.properties) {
    const mapped = mapProperties(parsePropertiesText(readText(sources.properties, 'properties file')), CONFIG_KEYS);
    const first = mapped.unknown[0];
    if (first !== undefined) throw unknownKeyError(first, sources.properties);
    if (mapped.refused.length > 0) {
      throw new C2yError('CONFIG_INVALID', `${sources.properties}: ${mapped.refused.map((r) => `"${r.key}"`).join(', ')} cannot be honoured`, {
        hint: mapped.refused.map((r) => `${r.key}: ${r.why}`).join('; '),
        context: { key: mapped.refused[0]?.key ?? '' },
      });
    }
    for (const [key, value] of mapped.values) {
      setPath(raw, key, value);
      origins[key] = 'properties';
    }
    ignoredKeys = mapped.ignored;
    pagesPerCorePerSecond = mapped.pagesPerCorePerSecond;
  }

  for (const key of CONFIG_KEYS) {
    const value = sources.env?.[envNameOf(key)];
    if (value !== undefined && value !== '') {
      setPath(raw, key, value);
      origins[key] = 'env';
    }
  }

  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    if (!CONFIG_KEYS.includes(key)) throw unknownKeyError(key, 'the command line');
    if (key === 'redis') refusePasswordInFlag(String(value), '--redis');
    setPath(raw, key, value);
    origins[key] = 'flag';
  }

  if (raw.source === undefined) raw.source = {};
  return { raw, origins, ignoredKeys, pagesPerCorePerSecond };
}

/** The collected keys checked against `schema`; every problem is named, with where its key was set. */
function parseCollected<S extends z.ZodType>(schema: S, raw: Tree, origins: CollectedConfig['origins'], sources: ConfigSources): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(issue, raw));
    const first = result.error.issues[0]?.path.join('.') ?? '';
    throw new C2yError('CONFIG_INVALID', lines.join('; '), {
      hint: first && origins[first] && origins[first] !== 'default' ? `fix ${first} where it was set: ${whereSet(first, origins[first], sources)}` : `set ${first || 'the key'} in the config file, as a flag, or as ${envNameOf(first || 'source.keyspace')}`,
      context: { key: result.error.issues[0]?.path.join('.') ?? '' },
    });
  }
  return result.data;
}

/**
 * The Connector's per-core page throttle as c2y's whole-run row limit, unless source.readsPerSecond itself was
 * given in the environment, a flag or the properties file (those say exactly what the user wants).
 */
function connectorReadThrottle(config: C2yConfig, pages: number, origins: Record<string, LoadedConfig['origins'][string]>): { config: C2yConfig; note: string } | undefined {
  const origin = origins['source.readsPerSecond'];
  if (origin === 'env' || origin === 'flag' || origin === 'properties') return undefined;
  const readsPerSecond = readsPerSecondOf(pages, { fetchSize: config.source.fetchSize, executors: config.executors, cores: config.cores });
  origins['source.readsPerSecond'] = 'properties';
  return {
    config: { ...config, source: { ...config.source, readsPerSecond } },
    note: `spark.cassandra.input.readsPerSec=${pages} → source.readsPerSecond=${readsPerSecond} (pages a core may read each second × source.fetchSize × executors × cores)`,
  };
}

/** The config with secrets replaced, safe for logs, reports and the dashboard. */
export function redactConfig(config: C2yConfig): C2yConfig {
  return {
    ...config,
    source: { ...config.source, password: config.source.password === undefined ? undefined : '***' },
    target: { ...config.target, password: config.target.password === undefined ? undefined : '***' },
    ...(config.redis === undefined ? {} : { redis: redactUrl(config.redis) }),
    ...(config.uiToken === undefined ? {} : { uiToken: '***' }),
  };
}

/** A URL with its password (if any) replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** A password on the command line shows in `ps` to every user of the machine: refused, as for the other passwords. */
export function refusePasswordInFlag(url: string, flag: string): void {
  if (urlPassword(url) === undefined) return;
  throw new C2yError('CONFIG_INVALID', `${flag} holds a password (${redactUrl(url)}); a password on the command line shows in ps`, {
    hint: 'give the URL without it and put the password in C2Y_REDIS_PASSWORD (or the whole URL in C2Y_REDIS, or redis: in the config file)',
  });
}

/** The password inside a URL, so loggers can mask it wherever it appears. */
export function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}
