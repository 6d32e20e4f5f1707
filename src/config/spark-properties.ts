/** The seed's Spark-job keys and the native keys they mean. */
export const SPARK_KEY_MAP: Readonly<Record<string, string>> = {
  'spark.default.parallelism': 'parallelism',
  'spark.executor.instances': 'executors',
  'spark.executor.cores': 'cores',
  'spark.executor.memory': 'executorMemory',
  'spark.cassandra.input.split.size_in_mb': 'source.splitSizeMb',
  'spark.cassandra.input.split.sizeInMB': 'source.splitSizeMb',
  'spark.cassandra.input.fetch.size_in_rows': 'source.fetchSize',
  'spark.cassandra.input.fetch.sizeInRows': 'source.fetchSize',
  'spark.cassandra.input.consistency.level': 'source.consistency',
  'spark.cassandra.connection.host': 'source.contactPoints',
  'spark.cassandra.connection.port': 'source.port',
  'spark.cassandra.connection.localDC': 'source.localDataCenter',
  'spark.cassandra.connection.local_dc': 'source.localDataCenter',
  'spark.cassandra.auth.username': 'source.username',
  'spark.cassandra.auth.password': 'source.password',
  'spark.ui.port': 'uiPort',
  'yugabyte.copyBufferSize': 'copyBufferSize',
  'yugabyte.copyFlushEvery': 'copyFlushEvery',
  'yugabyte.loadBalanceHosts': 'target.loadBalance',
  'yugabyte.host': 'target.hosts',
  'yugabyte.hosts': 'target.hosts',
  'yugabyte.port': 'target.port',
  'yugabyte.database': 'target.database',
  'yugabyte.user': 'target.user',
  'yugabyte.password': 'target.password',
  'yugabyte.schema': 'target.schema',
  'yugabyte.table': 'target.table',
  'cassandra.keyspace': 'source.keyspace',
  'cassandra.table': 'source.table',
};

export interface ParsedProperties {
  /** key → value in native key names. */
  readonly values: ReadonlyMap<string, string>;
  /** Spark keys that mean nothing to c2y; reported, never an error. */
  readonly ignored: readonly string[];
  /** Keys that are neither Spark, seed nor native: the caller decides (they are errors). */
  readonly unknown: readonly string[];
}

/** Java .properties syntax: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` line continuation. */
export function parsePropertiesText(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    let line = (lines[index] ?? '').trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && index + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++index] ?? '').trimStart();
    }
    const match = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = (match ? match[1] : line) ?? '';
    const value = match ? (match[2] ?? '') : '';
    entries.set(key.replace(/\\(.)/g, '$1'), value.trim());
  }
  return entries;
}

export function mapProperties(entries: ReadonlyMap<string, string>, nativeKeys: readonly string[]): ParsedProperties {
  const values = new Map<string, string>();
  const ignored: string[] = [];
  const unknown: string[] = [];
  for (const [key, value] of entries) {
    // Own keys only: a key such as `constructor` must not find Object's own members.
    const mapped = (Object.hasOwn(SPARK_KEY_MAP, key) ? SPARK_KEY_MAP[key] : undefined) ?? (nativeKeys.includes(key) ? key : undefined);
    if (mapped !== undefined) values.set(mapped, value);
    else if (key.startsWith('spark.') || key.startsWith('yugabyte.')) ignored.push(key);
    else unknown.push(key);
  }
  return { values, ignored, unknown };
}
