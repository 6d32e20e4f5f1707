/** The seed's Spark-job keys, the Spark Cassandra Connector's and CDM's, and the native keys they mean. */
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
  'spark.cassandra.read.timeoutMS': 'source.readTimeoutMs',
  'spark.cassandra.read.timeout_ms': 'source.readTimeoutMs',
  'spark.cassandra.connection.host': 'source.contactPoints',
  'spark.cassandra.connection.port': 'source.port',
  'spark.cassandra.connection.localDC': 'source.localDataCenter',
  'spark.cassandra.connection.local_dc': 'source.localDataCenter',
  'spark.cassandra.auth.username': 'source.username',
  'spark.cassandra.auth.password': 'source.password',
  'spark.cdm.connect.origin.host': 'source.contactPoints',
  'spark.cdm.connect.origin.port': 'source.port',
  'spark.cdm.connect.origin.username': 'source.username',
  'spark.cdm.connect.origin.password': 'source.password',
  'spark.cdm.connect.target.host': 'target.hosts',
  'spark.cdm.connect.target.port': 'target.port',
  'spark.cdm.connect.target.username': 'target.user',
  'spark.cdm.connect.target.password': 'target.password',
  'spark.cdm.perfops.numParts': 'parallelism',
  'spark.cdm.perfops.fetchSizeInRows': 'source.fetchSize',
  'spark.cdm.perfops.consistency.read': 'source.consistency',
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
  // A keyspace run's choice of tables (no CDM or Connector key chooses several tables; these follow cassandra.table).
  'cassandra.tables': 'source.tables',
  'cassandra.excludeTables': 'source.excludeTables',
};

const truthy = (value: string): boolean => /^(true|yes|on|1)$/i.test(value.trim());

/** `ks.table` → its two parts; the first dot splits (CQL names hold none unless quoted, which CDM does not take). */
function keyspaceTable(value: string, keyspaceKey: string, tableKey: string): Array<[string, string]> {
  const dot = value.indexOf('.');
  return dot < 0 ? [[tableKey, value]] : [[keyspaceKey, value.slice(0, dot)], [tableKey, value.slice(dot + 1)]];
}

/** Keys whose value says something c2y expresses differently. */
const TRANSLATED: Readonly<Record<string, (value: string) => Array<[string, string]>>> = {
  // TLS on, with the certificate checked against the CA and the host name: the Connector's trust store becomes a PEM CA.
  'spark.cassandra.connection.ssl.enabled': (value) => [['source.tls', truthy(value) ? 'verify-full' : 'disable']],
  'spark.cdm.connect.origin.tls.enabled': (value) => [['source.tls', truthy(value) ? 'verify-full' : 'disable']],
  'spark.cdm.schema.origin.keyspaceTable': (value) => keyspaceTable(value, 'source.keyspace', 'source.table'),
  'spark.cdm.schema.target.keyspaceTable': (value) => keyspaceTable(value, 'target.schema', 'target.table'),
  'spark.ui.enabled': (value) => (truthy(value) ? [] : [['uiPort', '0']]),
};

const PEM_HINT = 'c2y reads PEM files: export the CA with `keytool -exportcert -rfc -keystore <truststore> -alias <ca> -file ca.pem` and set source.tlsCa';

/** Keys that would change behaviour but that c2y cannot honour yet: refused, never ignored. */
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^spark\.cassandra\.connection\.ssl\.(trustStore|keyStore)\./, PEM_HINT],
  [/^spark\.cdm\.connect\.(origin|target)\.tls\.(trustStore|keyStore)/, PEM_HINT],
  [/^spark\.cassandra\.connection\.ssl\.clientAuth\./, 'client certificates to Cassandra are not supported yet; remove the key (and use a server that does not require them)'],
  [/^spark\.cdm\.perfops\.ratelimit\./, 'it counts operations per executor, not rows for the whole run: remove it and set source.readsPerSecond / target.rowsPerSecond, which c2y keeps for the whole run'],
  [/^spark\.cassandra\.connection\.config\.cloud\.path$|^spark\.cdm\.connect\.(origin|target)\.scb$/, 'Astra secure connect bundles are not supported: give the contact points and TLS settings'],
];

/** Spark keys that cannot change what c2y does: ignored, and listed in the run's log and report. */
const HARMLESS: readonly RegExp[] = [
  /^spark\.app\.name$/, /^spark\.master$/, /^spark\.submit\./, /^spark\.driver\./, /^spark\.memory\./, /^spark\.sql\.shuffle\.partitions$/,
  /^spark\.serializer$/, /^spark\.eventLog\./, /^spark\.jars(\.|$)/, /^spark\.executor\.(extraJavaOptions|memoryOverhead|heartbeatInterval)$/,
  /^spark\.network\.timeout$/, /^spark\.local\.dir$/, /^spark\.ui\.showConsoleProgress$/, /^spark\.logConf$/, /^spark\.cassandra\.output\./,
];

export interface RefusedKey {
  readonly key: string;
  readonly why: string;
}

export interface ParsedProperties {
  /** key → value in native key names. */
  readonly values: ReadonlyMap<string, string>;
  /** Spark keys that cannot change what c2y does; reported, never an error. */
  readonly ignored: readonly string[];
  /** Spark, Connector or CDM keys with a meaning c2y cannot honour: errors naming the key. */
  readonly refused: readonly RefusedKey[];
  /** Keys that are neither Spark, seed nor native: the caller decides (they are errors). */
  readonly unknown: readonly string[];
  /**
   * The Connector's scan throttle (`spark.cassandra.input.readsPerSec`): pages a core may request each second. It
   * becomes rows for the whole run only once fetch size, executors and cores are known (see readsPerSecondOf).
   */
  readonly pagesPerCorePerSecond?: number;
}

const READS_PER_SEC = 'spark.cassandra.input.readsPerSec';

/** source.readsPerSecond (rows, whole run) that keeps the Connector's promise: so many pages per core per second. */
export function readsPerSecondOf(pagesPerCorePerSecond: number, sizes: { readonly fetchSize: number; readonly executors: number; readonly cores: number }): number {
  return pagesPerCorePerSecond * sizes.fetchSize * sizes.executors * sizes.cores;
}

/** A value's trailing ` # comment` (as the seed's documented block has them); `\#` keeps a literal #. */
function withoutComment(value: string): string {
  const match = /(^|[^\\])\s#/.exec(value);
  const kept = match ? value.slice(0, match.index + (match[1] ?? '').length) : value;
  return kept.replace(/\\#/g, '#').trim();
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
    entries.set(key.replace(/\\(.)/g, '$1'), withoutComment(value));
  }
  return entries;
}

function nativeOf(key: string, nativeKeys: readonly string[]): string | undefined {
  // Own keys only: a key such as `constructor` must not find Object's own members.
  return (Object.hasOwn(SPARK_KEY_MAP, key) ? SPARK_KEY_MAP[key] : undefined) ?? (nativeKeys.includes(key) ? key : undefined);
}

export function mapProperties(entries: ReadonlyMap<string, string>, nativeKeys: readonly string[]): ParsedProperties {
  const values = new Map<string, string>();
  const ignored: string[] = [];
  const refused: RefusedKey[] = [];
  const unknown: string[] = [];
  let pagesPerCorePerSecond: number | undefined;
  for (const [key, value] of entries) {
    if (key === READS_PER_SEC) {
      pagesPerCorePerSecond = Number(value);
      if (!(pagesPerCorePerSecond > 0) || !Number.isFinite(pagesPerCorePerSecond)) refused.push({ key, why: `"${value}" is not a number of pages per second above 0` });
      continue;
    }
    const mapped = nativeOf(key, nativeKeys);
    const translate = Object.hasOwn(TRANSLATED, key) ? TRANSLATED[key] : undefined;
    const refusal = REFUSED.find(([pattern]) => pattern.test(key));
    if (mapped !== undefined) values.set(mapped, value);
    else if (translate) for (const [native, translated] of translate(value)) values.set(native, translated);
    else if (refusal) refused.push({ key, why: refusal[1] });
    else if (HARMLESS.some((pattern) => pattern.test(key))) ignored.push(key);
    else if (key.startsWith('spark.') || key.startsWith('yugabyte.')) refused.push({ key, why: 'it has no meaning in c2y yet, and ignoring it could do less than you asked: remove it' });
    else unknown.push(key);
  }
  return { values, ignored, refused, unknown, ...(pagesPerCorePerSecond === undefined ? {} : { pagesPerCorePerSecond }) };
}
