import { parseTokenRange } from '../plan/index.js';
import { z } from 'zod';
import { parseMemorySize } from './memory-size.js';

const hostList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter(Boolean) : value),
  z.array(z.string().min(1)).min(1, 'give at least one host'),
);

/**
 * Token ranges as `start:end` (Cassandra's ]start, end]), a list or one comma-separated string; a [start, end] pair
 * is taken too, its tokens as strings or whole numbers JavaScript holds exactly (YAML turns larger ones into floats).
 */
const tokenRangeList = z.preprocess(
  (value) => {
    if (typeof value === 'string') return value.split(',').map((part) => part.trim()).filter(Boolean);
    if (!Array.isArray(value)) return value;
    // A token YAML read as a float beyond 2^53 is already rounded: named as such, so it fails, never reads other tokens.
    const token = (t: unknown): string => (typeof t === 'number' && !Number.isSafeInteger(t) ? `(${String(t)}, rounded: quote it)` : String(t));
    return value.map((entry: unknown) => (Array.isArray(entry) && entry.length === 2 ? `${token(entry[0])}:${token(entry[1])}` : entry));
  },
  z.array(z.string().superRefine((text, context) => {
    const parsed = parseTokenRange(text);
    if (typeof parsed === 'string') context.addIssue({ code: z.ZodIssueCode.custom, message: `${parsed}; write each range as "start:end", tokens as strings in YAML` });
  })),
);

const nameList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter(Boolean) : value),
  z.array(z.string().min(1)),
);

const booleanLike = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const lowered = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(lowered)) return true;
  if (['false', 'no', 'off', '0'].includes(lowered)) return false;
  return value;
}, z.boolean());

/**
 * host:port → host:port the process really dials, for a machine that reaches the nodes through NAT, a proxy or a
 * tunnel: "127.0.0.1:9042=10.0.0.5:19042,…". The nodes keep their own names (replicas, per-node caps, reports).
 */
const addressMap = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const out: Record<string, string> = {};
  for (const pair of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    out[at < 0 ? pair : pair.slice(0, at).trim()] = at < 0 ? '' : pair.slice(at + 1).trim();
  }
  return out;
}, z.record(z.string().regex(/^[^\s:]+:\d+$/, 'map host:port to host:port'), z.string().regex(/^[^\s:]+:\d+$/, 'map host:port to host:port')));

const positiveInt = z.coerce.number().int('must be a whole number').positive('must be greater than 0');

const memorySize = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const bytes = parseMemorySize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a memory size; use e.g. 2g, 2048m or a byte count` });
      return z.NEVER;
    }
    return bytes;
  });


/** Each executor's heap unless the config says otherwise (seed: spark.executor.memory's role). */
export const DEFAULT_EXECUTOR_MEMORY = 1024 ** 3;
export const CONSISTENCY_LEVELS = ['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'] as const;

/**
 * `disable`: no TLS. `verify-full`: TLS, the certificate must chain to the CA and name the host (the safe choice).
 * `verify-ca`: chain checked, name not. `require`: TLS without any check, an explicit opt-out that is logged as a warning.
 */
export const TLS_MODES = ['disable', 'verify-full', 'verify-ca', 'require'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export const sourceSchema = z
  .object({
    /** Cassandra nodes to contact first, as host or host:port. */
    contactPoints: hostList.default(['127.0.0.1']),
    /** Default CQL port for contact points given without one. */
    port: positiveInt.max(65535).default(9042),
    /** Data center whose replicas are read; the driver refuses to guess it. */
    localDataCenter: z.string().min(1).default('datacenter1'),
    keyspace: z.string().min(1, 'name the Cassandra keyspace to read'),
    table: z.string().min(1, 'name the Cassandra table to read'),
    /**
     * Keyspace-wide commands (`c2y schema`, `plan`, `validate` without a table): the tables to take, by name or pattern (`*`, `?`); all
     * when unset. A one-table command refuses it.
     */
    tables: nameList.optional(),
    /** Keyspace-wide commands: tables left out, by name or pattern. A one-table command refuses it. */
    excludeTables: nameList.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** TLS to Cassandra (client_encryption_options): see TLS_MODES. */
    tls: z.enum(TLS_MODES).default('disable'),
    /** PEM file of the CA that signed the nodes' certificates; the system CAs when omitted. */
    tlsCa: z.string().min(1).optional(),
    /** Client certificate (PEM) for Cassandra nodes that require one (require_client_auth), with tlsKey. */
    tlsCert: z.string().min(1).optional(),
    /** The client certificate's private key (PEM, unencrypted). */
    tlsKey: z.string().min(1).optional(),
    /** LOCAL_QUORUM by default: a read that survives one replica down and never sees a half-written value. */
    consistency: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(CONSISTENCY_LEVELS)).default('LOCAL_QUORUM'),
    /** Most rows a second read from Cassandra by the whole run (all executors and workers); none when unset. */
    readsPerSecond: z.coerce.number().positive('must be greater than 0').optional(),
    /**
     * Back the run's reads off while Cassandra struggles (page reads retried, or the median page read twice its best
     * and 50 ms above it), and come back slowly once it does not; under readsPerSecond when both are set.
     */
    /** Only these token ranges are read (`start:end`, i.e. ]start, end]); every token when unset. */
    tokenRanges: tokenRangeList.default([]),
    /** Token ranges left out (the Scylla Migrator's skipTokenRanges), from tokenRanges or the whole ring. */
    skipTokenRanges: tokenRangeList.default([]),
    /**
     * Rows of these partitions only: `col = literal` or `col IN (literal, …)` on partition-key columns, joined by
     * AND (DSBulk's -query and the Scylla Migrator's where are the models). Checked against the table before any row moves.
     */
    where: z.string().trim().min(1).optional(),
    adaptive: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(false),
    /** Rows per page of a range scan. */
    fetchSize: positiveInt.max(100_000).default(5000),
    /** Time limit per page read, in ms; a page that runs out of it is asked again at half the size before the split fails. */
    readTimeoutMs: positiveInt.max(3_600_000).default(60_000),
    /**
     * Read pages as bytes and transcode them straight to COPY text (the driver builds no row objects), range scans
     * hashing each partition's token rather than selecting `token(…)`; false keeps the driver's rows and Cassandra's
     * tokens. Either way the target gets the same bytes.
     */
    rawPages: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(true),
    /** Columns whose WRITETIME() to keep, as <column>_writetime (bigint, microseconds since the epoch). */
    writetimeColumns: nameList.default([]),
    /** Columns whose TTL() to keep, as <column>_ttl (integer seconds left when read; NULL when none). */
    ttlColumns: nameList.default([]),
    /** Target bytes per token split, as the Spark connector's split.size_in_mb. */
    splitSizeMb: z.coerce.number().positive('must be greater than 0').default(64),
    /** Where this process really dials each node (see addressMap above); set per worker by `c2y worker --address-map`. */
    addressMap: addressMap.default({}),
  })
  .strict();

export const targetSchema = z
  .object({
    /** YSQL/PostgreSQL nodes as host or host:port. */
    hosts: hostList.default(['127.0.0.1:5432']),
    port: positiveInt.max(65535).default(5432),
    database: z.string().min(1).default('postgres'),
    user: z.string().min(1).default('postgres'),
    password: z.string().optional(),
    /** TLS to the target (PostgreSQL's sslmode): see TLS_MODES. */
    sslMode: z.enum(TLS_MODES).default('disable'),
    /** PEM file of the CA that signed the server certificates (sslrootcert); the system CAs when omitted. */
    sslRootCert: z.string().min(1).optional(),
    /** Client certificate (PEM, PostgreSQL's sslcert) for servers that authenticate by certificate, with sslKey. */
    sslCert: z.string().min(1).optional(),
    /** The client certificate's private key (PEM, unencrypted; PostgreSQL's sslkey). */
    sslKey: z.string().min(1).optional(),
    schema: z.string().min(1).default('public'),
    /** Target table; the source table's name when omitted. */
    table: z.string().min(1).optional(),
    /** Spread task connections evenly over all nodes (seed: yugabyte.loadBalanceHosts). */
    loadBalance: booleanLike.default(true),
    /**
     * YugabyteDB: `auto` spreads streams over every node yb_servers() lists (by its own address when reachable from
     * here, else its public one); `off` uses target.hosts only.
     */
    discovery: z.enum(['auto', 'off']).default('auto'),
    /** Most rows a second written to the target by the whole run; none when unset (DSBulk's executor.maxPerSecond). */
    rowsPerSecond: z.coerce.number().positive('must be greater than 0').optional(),
    /** Most COPY bytes a second written by the whole run; none when unset. */
    bytesPerSecond: z.coerce.number().positive('must be greater than 0').optional(),
    /** Most c2y connections one target node may hold at once. */
    maxConnectionsPerNode: positiveInt.optional(),
    /** Create the target table from the source schema when it does not exist. */
    createTable: booleanLike.default(true),
    /**
     * COPY's wire format: binary (typed fields: less CPU for c2y and the target) where every target column has the
     * type c2y writes, text otherwise (auto); text or binary always (binary refuses a table it cannot write).
     */
    copyFormat: z.enum(['auto', 'text', 'binary']).default('auto'),
    /**
     * A target table that already holds rows: refuse the run (a new run would write them again); skip source rows
     * whose key is there (the target's row stays); update those rows from the source. skip and update COPY into a
     * staging table and merge on the table's primary key, in the transaction that advances the checkpoint.
     */
    onExisting: z.enum(['refuse', 'skip', 'update']).default('refuse'),
    /** Schema holding c2y's run and checkpoint tables. */
    checkpointSchema: z.string().min(1).default('c2y'),
    /** Where this process really dials each node (see addressMap above). */
    addressMap: addressMap.default({}),
  })
  .strict();

/**
 * A mapping of names (YAML), or its JSON text (env, --set): kept as pairs, so a column named `__proto__` or
 * `constructor` is a key like any other.
 */
const namePairs = <T extends z.ZodType>(valueRule: T) => z.preprocess((value) => {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return value;
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.entries(parsed) : parsed;
}, z.array(z.tuple([z.string().min(1), valueRule])));

const columnMapping = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}, z.object({
  /** Only these source columns move (all when unset); key columns must be among them. */
  include: nameList.optional(),
  /** These source columns stay behind (never key columns). */
  exclude: nameList.optional(),
  /** Source column → its name in the target. */
  rename: namePairs(z.string().min(1)).default([]),
  /** Source column → its target type, where every value fits it (e.g. text → varchar(64), timestamp → timestamp). */
  types: namePairs(z.string().min(1)).default([]),
  /** Target column → the text every row gets (e.g. tenant: acme). */
  constants: namePairs(z.union([z.string(), z.number(), z.boolean()]).transform(String)).default([]),
}).strict());

export const configSchema = z
  .object({
    source: sourceSchema,
    /** Which columns move, under which names and types, and constant columns (see README, Column mapping). */
    columns: columnMapping.default({ rename: [], types: [], constants: [] }),
    target: targetSchema.default(targetSchema.parse({})),
    /** Requested partitions (seed: spark.default.parallelism); effective = min(this, token splits). */
    parallelism: positiveInt.max(10_000).default(16),
    /** Worker processes (seed: spark.executor.instances). */
    executors: positiveInt.max(256).default(2),
    /** Concurrent tasks per executor (seed: spark.executor.cores). */
    cores: positiveInt.max(256).default(4),
    /** Heap limit of each executor in bytes (seed: spark.executor.memory); accepts 2g, 2048m. */
    executorMemory: memorySize.default(DEFAULT_EXECUTOR_MEMORY),
    /** Rows held between reader and writer of one task: the memory bound (seed: yugabyte.copyBufferSize). */
    copyBufferSize: positiveInt.default(10_000),
    /**
     * Bytes of rows one task holds between reader and writer (its current and prefetched page): pages get fewer rows
     * when rows are large. Default: a quarter of each task's share of executorMemory (executorMemory / cores / 4).
     */
    copyBufferBytes: memorySize.optional(),
    /** Rows per COPY transaction, committed with the checkpoint (seed: yugabyte.copyFlushEvery). */
    copyFlushEvery: positiveInt.default(50_000),
    /** A value the target cannot hold: `stop` the run naming its key and column, or `reject` the row to rejects.jsonl. */
    onError: z.enum(['stop', 'reject']).default('stop'),
    /** With onError: reject, the run stops once more rows than this were rejected. */
    maxErrors: z.coerce.number().int().min(0).default(1000),
    /**
     * `c2y catchup`: seconds taken off its cut-off (the newest finished run's start) for clocks: Cassandra's write
     * times come from its clients' clocks, the run's start from the target's. Larger rewrites more, never misses more.
     */
    catchupMarginSeconds: z.coerce.number().min(0, 'must be 0 or more').default(60),
    /**
     * A live apply (`migrate --live`) reads each changed key again from the source at this consistency. ALL (the
     * default) includes the replica whose log named the change, whatever consistency the application wrote at; with a
     * replica down, reads fail and the lag grows until it is back (QUORUM goes on, if every write is at QUORUM too).
     */
    cdcReadConsistency: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(CONSISTENCY_LEVELS)).default('ALL'),
    /**
     * A live apply has its agents delete the cdc_raw segments that every live migration recorded in this target has
     * applied (Cassandra refuses CDC writes once cdc_raw is full). false: keep them (another CDC reader uses them, or
     * live migrations from this cluster keep their state in other targets); then delete them yourself.
     */
    cdcReleaseSegments: booleanLike.default(true),
    /**
     * Once the bulk copy is done, the live apply reads every row's TTLs (keys and TTL(c), not values) and reads each
     * expiring row again when its TTL runs out, so the target drops the copied cells Cassandra expires. false: the
     * table has no TTLs (the scan is a full read of it), or expired rows may stay in the target.
     */
    cdcScanTtls: booleanLike.default(true),
    /** Attempts per split before it is marked failed. */
    maxRetries: z.coerce.number().int().min(0).max(100).default(5),
    /** First retry delay in milliseconds; doubles each attempt. */
    retryBackoffMs: z.coerce.number().int().min(0).max(600_000).default(1000),
    /** Before a run: `refuse` to start when executor memory headroom is under 0.5 (see `c2y plan`), or only `warn`. */
    memoryCheck: z.enum(['refuse', 'warn']).default('refuse'),
    /** Port of the live dashboard and /metrics (seed: spark.ui.port); taken → the next free one, as Spark does; 0 = off. */
    uiPort: z.coerce.number().int().min(0).max(65535).default(4040),
    /** Address the dashboard binds to; loopback unless you mean to share it. */
    uiHost: z.string().min(1).default('127.0.0.1'),
    /**
     * Token the dashboard, /api and /metrics require (Authorization: Bearer, or ?token= once in the browser). Needed
     * when uiHost is not loopback: one is generated and printed once when not set. A secret.
     */
    uiToken: z.string().min(16, 'use at least 16 characters').optional(),
    /** Redis of a distributed run (`migrate --distributed`), e.g. redis://10.0.0.9:6379; its password is a secret. */
    redis: z.string().regex(/^rediss?:\/\//, 'give a redis:// or rediss:// URL').optional(),
    /**
     * Distributed runs: how long a worker's hold on a split job (and on its target-node slot) lasts without renewal.
     * A worker that dies loses its splits to another worker after about this long.
     */
    workerLeaseMs: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Lines on the terminal from this level up (error, warn, info, debug); the run folder's log keeps info and up. */
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** Folder that holds one sub-folder per run (report, log). */
    runDir: z.string().min(1).default('./c2y-runs'),
  })
  .strict();

export type C2yConfig = z.infer<typeof configSchema>;

/** The same settings for a keyspace-wide command: the table is optional (source.tables chooses them instead). */
export const keyspaceConfigSchema = configSchema.extend({ source: sourceSchema.extend({ table: z.string().min(1).optional() }).strict() });
export type KeyspaceConfig = z.infer<typeof keyspaceConfigSchema>;
export type SourceConfig = C2yConfig['source'];
export type TargetConfig = C2yConfig['target'];
export type RawConfig = z.input<typeof configSchema>;

/** Every settable leaf key, for env and flag mapping and for "unknown key" messages. */
export const CONFIG_KEYS: readonly string[] = [
  ...Object.keys(sourceSchema.shape).map((key) => `source.${key}`),
  ...Object.keys(targetSchema.shape).map((key) => `target.${key}`),
  ...Object.keys(configSchema.shape).filter((key) => key !== 'source' && key !== 'target'),
];

/** Keys whose values never leave the process in logs, reports or errors. */
export const SECRET_KEYS: readonly string[] = ['source.password', 'target.password', 'uiToken'];
