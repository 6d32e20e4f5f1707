export { openCassandra, consistencyCode } from './cassandra-session.js';
export type { CassandraClient, SessionOptions } from './cassandra-session.js';
