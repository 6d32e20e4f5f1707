export { startCassandra, stopCassandra, cassandraStatus, killCassandraNode, wipeCassandra, nodeAddress, CQL_PORT } from './cassandra-cluster.js';
export type { NodeStatus, StartResult } from './cassandra-cluster.js';
export { ensureCassandraJars } from './cassandra-jars.js';
export { initialTokens } from './cassandra-yaml.js';
