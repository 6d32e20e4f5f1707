import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { C2yError, messageOf } from '../errors/index.js';
import { CONFIG_KEYS, configSchema, type C2yConfig } from './config-schema.js';
import { mapProperties, parsePropertiesText } from './spark-properties.js';

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
  const close = CONFIG_KEYS.find((known) => known.toLowerCase() === key.toLowerCase() || known.endsWith(`.${key}`));
  return new C2yError('CONFIG_INVALID', `unknown config key "${key}" in ${where}`, {
    hint: close ? `did you mean "${close}"?` : `known keys: ${CONFIG_KEYS.join(', ')}`,
    context: { key },
  });
}

function describeIssue(issue: z.core.$ZodIssue, raw: Tree): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return `unknown config key ${issue.keys.map((k) => `"${key ? key + '.' : ''}${k}"`).join(', ')}`;
  }
  const given = issue.path.reduce<unknown>((node, part) => (node as Tree | undefined)?.[part as string], raw);
  const shown = given === undefined ? 'nothing' : CONFIG_SECRET_PATHS.has(key) ? '(hidden)' : JSON.stringify(given);
  const message = issue.message.startsWith('Invalid input: expected')
    ? issue.message.replace('Invalid input: ', '')
    : issue.message;
  return `config key "${key}": ${message} (got ${shown})`;
}

const CONFIG_SECRET_PATHS = new Set(['source.password', 'target.password']);

/** Merges defaults < file < properties < env < flags, then validates once. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const raw: Tree = {};
  const origins: Record<string, LoadedConfig['origins'][string]> = {};
  let ignoredKeys: readonly string[] = [];

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
    for (const [key, value] of mapped.values) {
      setPath(raw, key, value);
      origins[key] = 'properties';
    }
    ignoredKeys = mapped.ignored;
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
    setPath(raw, key, value);
    origins[key] = 'flag';
  }

  if (raw.source === undefined) raw.source = {};
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(issue, raw));
    throw new C2yError('CONFIG_INVALID', lines.join('; '), {
      hint: `set each key in the config file, as a flag, or as ${envNameOf('source.keyspace')}-style environment variables`,
      context: { key: result.error.issues[0]?.path.join('.') ?? '' },
    });
  }
  for (const key of CONFIG_KEYS) origins[key] ??= 'default';
  return { config: result.data, ignoredKeys, origins };
}

/** The config with secrets replaced, safe for logs, reports and the dashboard. */
export function redactConfig(config: C2yConfig): C2yConfig {
  return {
    ...config,
    source: { ...config.source, password: config.source.password === undefined ? undefined : '***' },
    target: { ...config.target, password: config.target.password === undefined ? undefined : '***' },
    ...(config.redis === undefined ? {} : { redis: redactUrl(config.redis) }),
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
