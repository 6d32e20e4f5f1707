import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { C2yError, messageOf } from '../errors/index.js';
import type { C2yConfig, TlsMode } from '../config/index.js';

function readPem(path: string, key: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new C2yError('CONFIG_INVALID', `config key "${key}": cannot read the ${what} file ${path}: ${messageOf(error)}`, { hint: `point ${key} at a PEM file of the ${what}` });
  }
}

function readCa(path: string, key: string): string {
  return readPem(path, key, 'CA');
}

/** A client certificate and its key, for servers that authenticate clients by certificate (mutual TLS). */
export interface ClientCertFiles {
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** Config key names, for messages: e.g. source.tlsCert, source.tlsKey. */
  readonly certKey: string;
  readonly keyKey: string;
}

/** A half-given pair, or a certificate without TLS: refused when the config is read, not at the first connection. */
export function clientCertProblems(config: C2yConfig): string[] {
  const sides: Array<[TlsMode, string | undefined, string | undefined, string, string, string]> = [
    [config.source.tls, config.source.tlsCert, config.source.tlsKey, 'source.tlsCert', 'source.tlsKey', 'source.tls'],
    [config.target.sslMode, config.target.sslCert, config.target.sslKey, 'target.sslCert', 'target.sslKey', 'target.sslMode'],
  ];
  const out: string[] = [];
  for (const [mode, cert, key, certKey, keyKey, modeKey] of sides) {
    if ((cert === undefined) !== (key === undefined)) out.push(`config key "${cert === undefined ? certKey : keyKey}" is missing: a client certificate needs both ${certKey} and ${keyKey}`);
    else if (cert !== undefined && mode === 'disable') out.push(`config key "${certKey}" is set but "${modeKey}" is disable: a client certificate needs TLS`);
  }
  return out;
}

/**
 * Node TLS options. With `host`, verify-full checks the certificate against that host itself, so an IP address is
 * matched against its IP SANs (pg connects over an existing socket and would otherwise check "localhost"); without
 * it, Node checks the host the connection was opened to. Undefined for `disable`.
 */
export function tlsOptionsFor(mode: TlsMode, caFile: string | undefined, caKey: string, host?: string, client?: ClientCertFiles): ConnectionOptions | undefined {
  if (mode === 'disable') return undefined;
  const identity = client?.cert !== undefined && client.key !== undefined
    ? { cert: readPem(client.cert, client.certKey, 'client certificate'), key: readPem(client.key, client.keyKey, 'client certificate\'s key') }
    : {};
  if (mode === 'require') return { rejectUnauthorized: false, ...identity };
  const ca = caFile === undefined ? undefined : readCa(caFile, caKey);
  return {
    ...identity,
    ...(ca === undefined ? {} : { ca }),
    rejectUnauthorized: true,
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined }
      : host !== undefined ? { checkServerIdentity: (_servername: string, certificate: PeerCertificate) => checkServerIdentity(host, certificate) } : {}),
  };
}

/** Warnings a run logs at its start: a TLS connection that checks nothing is an explicit, visible choice. */
export function tlsWarnings(config: { readonly source: Pick<C2yConfig['source'], 'tls'>; readonly target: Pick<C2yConfig['target'], 'sslMode'> }): string[] {
  const out: string[] = [];
  if (config.source.tls === 'require') out.push('source.tls is "require": TLS to Cassandra WITHOUT certificate checks; anyone on the path can read and change the data. Use verify-full with source.tlsCa.');
  if (config.target.sslMode === 'require') out.push('target.sslMode is "require": TLS to the target WITHOUT certificate checks; anyone on the path can read and change the data. Use verify-full with target.sslRootCert.');
  return out;
}
