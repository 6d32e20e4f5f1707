/** Evenly spread Murmur3 tokens so that each of `nodes` owns the same share of the ring. */
export function initialTokens(nodes: number): bigint[] {
  const span = 2n ** 64n;
  const min = -(2n ** 63n);
  return Array.from({ length: nodes }, (_, index) => min + (span * BigInt(index)) / BigInt(nodes));
}

export interface NodeYamlOptions {
  readonly address: string;
  readonly seeds: string;
  readonly initialToken: bigint;
  readonly dir: string;
  readonly nativePort: number;
  readonly storagePort: number;
  readonly clusterName?: string;
  /** PasswordAuthenticator and TLS-only client connections with this PKCS12 keystore. */
  readonly secure?: { readonly keystore: string; readonly keystorePassword: string };
  /** Data centers from cassandra-rackdc.properties (GossipingPropertyFileSnitch) instead of one (SimpleSnitch). */
  readonly gossipingSnitch?: boolean;
  /**
   * cdc_enabled, with the commit log synced (and each segment's _cdc.idx advanced) every `syncMs`; `smallSegments`
   * (1 MiB: a test fills one quickly) only where no test writes a mutation over half of that.
   */
  readonly cdc?: { readonly syncMs: number; readonly smallSegments?: boolean };
}

/** Password login and TLS-only clients with the given keystore, or no authentication at all. */
function authYaml(secure: NodeYamlOptions['secure']): string {
  if (!secure) return `authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer`;
  return `authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${secure.keystore}
  keystore_password: ${secure.keystorePassword}
  require_client_auth: false`;
}

/** The commit log's sync, and with CDC its settings (cdc_raw is placed with the other folders). */
function commitLogYaml(cdc: NodeYamlOptions['cdc']): string {
  const sync = `commitlog_sync: periodic
commitlog_sync_period: ${cdc?.syncMs ?? 10000}ms`;
  if (!cdc) return sync;
  if (!cdc.smallSegments) return `${sync}\ncdc_enabled: true\ncdc_total_space: 1024MiB`;
  return `${sync}
cdc_enabled: true
# Small segments: a segment's changes are all readable once it is full (or synced), and tests fill one quickly.
commitlog_segment_size: 1MiB
cdc_total_space: 256MiB`;
}

/** Where the node keeps its files, all under `dir`. */
function foldersYaml(dir: string): string {
  return `commitlog_directory: ${dir}/commitlog
data_file_directories:
  - ${dir}/data
saved_caches_directory: ${dir}/saved_caches
hints_directory: ${dir}/hints
cdc_raw_directory: ${dir}/cdc_raw`;
}

/** A minimal cassandra.yaml; Cassandra rejects unknown keys, so only real 5.0 keys appear. */
export function renderCassandraYaml(options: NodeYamlOptions): string {
  return `cluster_name: ${options.clusterName ?? 'c2y-testbed'}
num_tokens: 1
initial_token: ${options.initialToken}
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: ${options.gossipingSnitch ? 'GossipingPropertyFileSnitch' : 'SimpleSnitch'}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${options.seeds}"
listen_address: ${options.address}
rpc_address: ${options.address}
storage_port: ${options.storagePort}
native_transport_port: ${options.nativePort}
start_native_transport: true
${commitLogYaml(options.cdc)}
${foldersYaml(options.dir)}
${authYaml(options.secure)}
auto_snapshot: false
snapshot_before_compaction: false
storage_compatibility_mode: NONE
# Off by default in 5.0; on here so keyspace-wide commands can be shown a view to skip.
materialized_views_enabled: true
concurrent_compactors: 1
compaction_throughput: 0MiB/s
read_request_timeout: 20000ms
range_request_timeout: 30000ms
write_request_timeout: 10000ms
request_timeout: 30000ms
batch_size_warn_threshold: 64KiB
batch_size_fail_threshold: 640KiB
`;
}

export const LOGBACK_XML = `<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT" /></root>
  <logger name="org.apache.cassandra" level="INFO" />
</configuration>
`;

/** From Cassandra 5.0's conf/jvm17-server.options plus the flags a jar-only start needs on JDK 17. */
export const JDK17_FLAGS: readonly string[] = [
  '-XX:+UseG1GC', '-XX:+ParallelRefProcEnabled', '-XX:MaxTenuringThreshold=1', '-XX:G1HeapRegionSize=16m',
  '-XX:MaxGCPauseMillis=300', '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports', 'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports', 'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-exports', 'java.management/com.sun.jmx.remote.security=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
  '--add-opens', 'java.base/java.nio=ALL-UNNAMED',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];
