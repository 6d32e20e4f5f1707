import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestbedError } from './testbed-error.js';
import { cacheRoot } from './testbed-paths.js';

export interface TestbedCerts {
  readonly dir: string;
  /** PEM of the test bed's own CA: what clients are told to trust. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the servers. */
  readonly otherCaCert: string;
  /** A client certificate for the role TESTBED_CERT_USER (its CN), signed by the test bed CA: mutual TLS. */
  readonly clientCert: string;
  readonly clientKey: string;
}

/** The role that logs in by client certificate alone (pg_hba `cert`): its certificate's CN. */
export const TESTBED_CERT_USER = 'c2y_cert';

/** Made apart from the rest, so a cache from before client certificates gains one without a new CA. */
function ensureClientCert(certs: TestbedCerts): void {
  if (existsSync(certs.clientCert) && existsSync(certs.clientKey)) return;
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/CN=${TESTBED_CERT_USER}`], certs.dir);
  writeFileSync(join(certs.dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n');
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '3650', '-extfile', 'client.ext'], certs.dir);
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new TestbedError('TESTBED_TLS_FAILED', `openssl ${args[0]} failed: ${(run.stderr || run.error?.message || '').slice(-500)}`, { hint: 'install openssl (apt-get install openssl)' });
  }
}

/**
 * A CA and one server certificate for every test bed address (127.0.0.1–4 as IP SANs, and localhost), made once with
 * openssl and kept in the cache. Only for the test bed: real clusters bring their own.
 */
export function ensureTestbedCerts(): TestbedCerts {
  const dir = join(cacheRoot(), 'testbed', 'tls');
  const certs: TestbedCerts = {
    dir, caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'), otherCaCert: join(dir, 'other-ca.crt'),
    clientCert: join(dir, 'client.crt'), clientKey: join(dir, 'client.key'),
  };
  if (existsSync(join(dir, '.complete'))) {
    ensureClientCert(certs);
    return certs;
  }
  mkdirSync(dir, { recursive: true });
  const days = '3650';
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=c2y test bed CA'], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', days, '-subj', '/CN=some other CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=c2y test bed server'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1, IP:127.0.0.2, IP:127.0.0.3, IP:127.0.0.4, DNS:localhost\nextendedKeyUsage = serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', days, '-extfile', 'server.ext'], dir);
  ensureClientCert(certs);
  writeFileSync(join(dir, '.complete'), 'ok');
  return certs;
}
