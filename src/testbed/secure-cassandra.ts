import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestbedError } from './testbed-error.js';
import { CQL_PORT, filesIn, launchNode, STORAGE_PORT, waitForCql } from './cassandra-cluster.js';
import { ensureCassandraJars } from './cassandra-jars.js';
import { LOGBACK_XML, renderCassandraYaml } from './cassandra-yaml.js';
import { livePid, stopProcess } from './process-control.js';
import { cacheRoot } from './testbed-paths.js';
import { ensureTestbedCerts } from './tls-certs.js';

/** A one-node cluster of its own beside the ring, with PasswordAuthenticator and TLS-only clients. */
export const SECURE_CASSANDRA_ADDRESS = '127.0.0.4';
/** The superuser Cassandra creates on first start. */
export const SECURE_CASSANDRA_USER = 'cassandra';
export const SECURE_CASSANDRA_PASSWORD = 'cassandra';
const KEYSTORE_PASSWORD = 'c2y-testbed-keystore';

function secureFiles(): ReturnType<typeof filesIn> {
  return filesIn(join(cacheRoot(), 'testbed', 'cassandra-secure'));
}

/** Cassandra reads a PKCS12 keystore: the test bed's server key and certificate, bundled with openssl. */
function ensureKeystore(dir: string): string {
  const certs = ensureTestbedCerts();
  const keystore = join(dir, 'server.p12');
  if (existsSync(keystore)) return keystore;
  const run = spawnSync('openssl', ['pkcs12', '-export', '-in', certs.serverCert, '-inkey', certs.serverKey, '-name', 'server', '-out', keystore, '-passout', `pass:${KEYSTORE_PASSWORD}`], { encoding: 'utf8' });
  if (run.status !== 0) throw new TestbedError('TESTBED_TLS_FAILED', `openssl pkcs12 failed: ${run.stderr.slice(-400)}`, { hint: 'install openssl' });
  return keystore;
}

/** Starts (or reuses) the secured node on 127.0.0.4 and waits until it accepts TLS connections. */
export async function startSecureCassandra(log: (line: string) => void): Promise<{ address: string; reused: boolean }> {
  const files = secureFiles();
  const running = livePid(files.pidFile);
  if (running !== undefined) {
    await waitForCql(SECURE_CASSANDRA_ADDRESS, running, 180_000, files.logFile);
    return { address: SECURE_CASSANDRA_ADDRESS, reused: true };
  }
  const jars = await ensureCassandraJars(log);
  for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) mkdirSync(join(files.dir, sub), { recursive: true });
  writeFileSync(join(files.dir, 'logback.xml'), LOGBACK_XML);
  writeFileSync(files.yaml, renderCassandraYaml({
    address: SECURE_CASSANDRA_ADDRESS, seeds: `${SECURE_CASSANDRA_ADDRESS}:${STORAGE_PORT}`, initialToken: 0n, dir: files.dir,
    nativePort: CQL_PORT, storagePort: STORAGE_PORT, clusterName: 'c2y-testbed-secure',
    secure: { keystore: ensureKeystore(files.dir), keystorePassword: KEYSTORE_PASSWORD },
  }));
  // The default superuser is created only after this delay; the tests log in at once.
  const pid = launchNode(files, jars.libDir, '1g', ['-Dcassandra.superuser_setup_delay_ms=0']);
  log(`secure node (${SECURE_CASSANDRA_ADDRESS}, PasswordAuthenticator, TLS) starting, pid ${pid}, log ${files.logFile}`);
  await waitForCql(SECURE_CASSANDRA_ADDRESS, pid, 180_000, files.logFile);
  return { address: SECURE_CASSANDRA_ADDRESS, reused: false };
}

export async function stopSecureCassandra(wipe = false): Promise<void> {
  const files = secureFiles();
  const pid = livePid(files.pidFile);
  if (pid !== undefined) await stopProcess(pid, 15_000);
  if (wipe) rmSync(files.dir, { recursive: true, force: true });
}
