export { configSchema, CONFIG_KEYS, SECRET_KEYS, CONSISTENCY_LEVELS, TLS_MODES, DEFAULT_EXECUTOR_MEMORY } from './config-schema.js';
export type { C2yConfig, KeyspaceConfig, SourceConfig, TargetConfig, RawConfig, TlsMode } from './config-schema.js';
export { loadConfig, loadKeyspaceConfig, redactConfig, redactUrl, refusePasswordInFlag, urlPassword, envNameOf } from './load-config.js';
export type { ConfigSources, LoadedConfig } from './load-config.js';
export { parseMemorySize, formatBytes } from './memory-size.js';
export { tlsOptionsFor, tlsWarnings } from '../tls/index.js';
export { SPARK_KEY_MAP, parsePropertiesText, mapProperties } from './spark-properties.js';
