// The driver's own modules that c2y reaches past its public API (see source/driver-internals.ts); they ship no types.
declare module 'cassandra-driver/lib/streams.js' {
  const streams: unknown;
  export default streams;
}
declare module 'cassandra-driver/lib/connection.js' {
  const connection: unknown;
  export default connection;
}
declare module 'cassandra-driver/lib/types/index.js' {
  const types: unknown;
  export default types;
}
