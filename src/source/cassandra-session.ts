import cassandra from 'cassandra-driver';
import type { ConnectionOptions } from 'node:tls';
import type { SourceConfig } from '../config/index.js';
import { tlsOptionsFor } from '../tls/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import { CqlMap, CqlSet } from '../schema/index.js';
import { installRawPageHook } from './raw-page-hook.js';

export type CassandraClient = cassandra.Client;

/** Maps and sets arrive as Map/Set and 64-bit integers as bigint, so no value is coerced through a JS number. */
/** Sets and maps that keep -0.0 apart from 0.0 (see CqlSet); 64-bit and varint numbers as bigint. */
export const EXACT_ENCODING = { map: CqlMap, set: CqlSet, useBigIntAsLong: true, useBigIntAsVarint: true } as const;

export function splitHostPort(contactPoint: string, defaultPort: number): string {
  return /:\d+$/.test(contactPoint) && !contactPoint.startsWith('[') ? contactPoint : `${contactPoint}:${defaultPort}`;
}

/** The address this process dials for a node's own host:port (the same when the map does not name it). */
export function dialAddress(addressMap: Readonly<Record<string, string>> | undefined, address: string): string {
  return addressMap?.[address] ?? address;
}

/** Nodes announce their own addresses in system.peers; a machine behind NAT or a tunnel dials others. */
// The driver checks `instanceof AddressTranslator`; its typings declare only an interface, so the class is taken as is.
const AddressTranslatorClass = (cassandra.policies.addressResolution as unknown as { AddressTranslator: new () => object }).AddressTranslator;

class MappedAddressTranslator extends AddressTranslatorClass implements cassandra.policies.addressResolution.AddressTranslator {
  constructor(private readonly addressMap: Readonly<Record<string, string>>) {
    super();
  }

  translate(address: string, port: number, callback: (endpoint: string) => void): void {
    callback(dialAddress(this.addressMap, `${address}:${port}`));
  }
}

export type SessionOptions = Pick<SourceConfig, 'contactPoints' | 'port' | 'localDataCenter' | 'username' | 'password' | 'consistency' | 'fetchSize'> & Partial<Pick<SourceConfig, 'tls' | 'tlsCa' | 'tlsCert' | 'tlsKey' | 'addressMap'>> & {
  readonly keyspace?: string;
};

export function consistencyCode(name: SourceConfig['consistency']): number {
  const camel = name.toLowerCase().replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
  const code = (cassandra.types.consistencies as unknown as Record<string, number | undefined>)[camel];
  if (code === undefined) throw new C2yError('CONFIG_INVALID', `unknown consistency level ${name}`, { hint: 'use LOCAL_QUORUM, QUORUM, ONE, …' });
  return code;
}

/** The connection settings of a source config; the keyspace is checked by describeTable, not at connect. */
export function sessionOptionsOf(source: Omit<SourceConfig, 'table'>): SessionOptions {
  const { contactPoints, port, localDataCenter, username, password, consistency, fetchSize, tls, tlsCa, tlsCert, tlsKey, addressMap } = source;
  return { contactPoints, port, localDataCenter, username, password, consistency, fetchSize, tls, tlsCa, tlsCert, tlsKey, addressMap };
}

/** The driver opens each TLS connection to the node's address, so Node checks the certificate against it. */
function sslSetting(options: SessionOptions): { sslOptions?: ConnectionOptions } {
  const sslOptions = tlsOptionsFor(options.tls ?? 'disable', options.tlsCa, 'source.tlsCa', undefined, { cert: options.tlsCert, key: options.tlsKey, certKey: 'source.tlsCert', keyKey: 'source.tlsKey' });
  return sslOptions === undefined ? {} : { sslOptions };
}

/** Connects, or throws SOURCE_UNREACHABLE naming every contact point and what each said. */
export async function openCassandra(options: SessionOptions): Promise<CassandraClient> {
  // Before the first connection: connections read through frame assemblers only if opened after it (socket-frames.ts).
  installRawPageHook();
  const client = new cassandra.Client({
    contactPoints: options.contactPoints.map((point) => dialAddress(options.addressMap, splitHostPort(point, options.port))),
    ...(options.addressMap && Object.keys(options.addressMap).length > 0 ? { policies: { addressResolution: new MappedAddressTranslator(options.addressMap) } } : {}),
    localDataCenter: options.localDataCenter,
    ...(options.keyspace ? { keyspace: options.keyspace } : {}),
    ...(options.username !== undefined
      ? { credentials: { username: options.username, password: options.password ?? '' } }
      : {}),
    encoding: EXACT_ENCODING,
    ...sslSetting(options),
    queryOptions: { consistency: consistencyCode(options.consistency), fetchSize: options.fetchSize, prepare: true },
    socketOptions: { connectTimeout: 10_000, readTimeout: 60_000 },
    pooling: { warmup: true },
  });
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    const inner = error instanceof cassandra.errors.NoHostAvailableError
      ? Object.entries(error.innerErrors as Record<string, unknown>).map(([host, cause]) => `${host}: ${messageOf(cause)}`).join('; ')
      : messageOf(error);
    throw new C2yError('SOURCE_UNREACHABLE', `cannot connect to Cassandra at ${options.contactPoints.join(', ')}: ${inner}`, {
      hint: 'check source.contactPoints, source.port and source.localDataCenter, and that the nodes are up',
      retryable: true,
    });
  }
  return client;
}
