import { readFileSync } from 'node:fs';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { C2yError, messageOf } from '../errors/index.js';
import type { C2yConfig, TlsMode } from './config-schema.js';

function readCa(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new C2yError('CONFIG_INVALID', `config key "${key}": cannot read the CA file ${path}: ${messageOf(error)}`, { hint: `point ${key} at a PEM file of the CA that signed the server certificates` });
  }
}

/**
 * Node TLS options. With `host`, verify-full checks the certificate against that host itself, so an IP address is
 * matched against its IP SANs (pg connects over an existing socket and would otherwise check "localhost"); without
 * it, Node checks the host the connection was opened to. Undefined for `disable`.
 */
export function tlsOptionsFor(mode: TlsMode, caFile: string | undefined, caKey: string, host?: string): ConnectionOptions | undefined {
  if (mode === 'disable') return undefined;
  if (mode === 'require') return { rejectUnauthorized: false };
  const ca = caFile === undefined ? undefined : readCa(caFile, caKey);
  return {
    ...(ca === undefined ? {} : { ca }),
    rejectUnauthorized: true,
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined }
      : host !== undefined ? { checkServerIdentity: (_servername: string, certificate: PeerCertificate) => checkServerIdentity(host, certificate) } : {}),
  };
}

/** Warnings a run logs at its start: a TLS connection that checks nothing is an explicit, visible choice. */
export function tlsWarnings(config: C2yConfig): string[] {
  const out: string[] = [];
  if (config.source.tls === 'require') out.push('source.tls is "require": TLS to Cassandra WITHOUT certificate checks; anyone on the path can read and change the data. Use verify-full with source.tlsCa.');
  if (config.target.sslMode === 'require') out.push('target.sslMode is "require": TLS to the target WITHOUT certificate checks; anyone on the path can read and change the data. Use verify-full with target.sslRootCert.');
  return out;
}
