// TLS settings for both connections (Cassandra and the target), apart from the config loader so that executors,
// which only connect, do not load the YAML and schema libraries with it.
export { tlsOptionsFor, tlsWarnings, clientCertProblems } from './tls-options.js';
