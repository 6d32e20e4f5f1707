export { configSchema, CONFIG_KEYS, SECRET_KEYS, CONSISTENCY_LEVELS } from './config-schema.js';
export type { C2yConfig, SourceConfig, TargetConfig, RawConfig } from './config-schema.js';
export { loadConfig, redactConfig, envNameOf } from './load-config.js';
export type { ConfigSources, LoadedConfig } from './load-config.js';
export { parseMemorySize, formatBytes } from './memory-size.js';
export { SPARK_KEY_MAP, parsePropertiesText, mapProperties } from './spark-properties.js';
