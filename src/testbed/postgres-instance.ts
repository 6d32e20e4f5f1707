import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestbedError } from './testbed-error.js';
import { lastLines } from './process-control.js';
import { cacheRoot } from './testbed-paths.js';
import { ensureTestbedCerts, TESTBED_CERT_USER } from './tls-certs.js';

export const TESTBED_PG_ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3'] as const;

export function testbedPgPort(): number {
  return Number(process.env.C2Y_TESTBED_PG_PORT ?? 5433);
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** initdb refuses root, and the postgres user cannot enter /root: as root the instance lives under the temp dir. */
export function testbedPgDir(): string {
  if (process.env.C2Y_PG_DIR) return process.env.C2Y_PG_DIR;
  return isRoot() ? join(tmpdir(), 'c2y-testbed', 'postgres') : join(cacheRoot(), 'testbed', 'postgres');
}

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const version = versions[0];
  if (version === undefined) {
    throw new TestbedError('POSTGRES_START_FAILED', 'no PostgreSQL server binaries under /usr/lib/postgresql', { hint: 'apt-get install postgresql' });
  }
  return join(base, version, 'bin');
}

interface RunResult { readonly status: number; readonly output: string }

function runPg(binary: string, args: string[]): RunResult {
  const command = join(pgBinDir(), binary);
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', cwd: '/' });
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}` };
}

function dataDir(): string {
  return join(testbedPgDir(), 'data');
}

function logFile(): string {
  return join(testbedPgDir(), 'postgres.log');
}

export function postgresRunning(): boolean {
  return existsSync(join(dataDir(), 'PG_VERSION')) && runPg('pg_ctl', ['-D', dataDir(), 'status']).status === 0;
}

/** Starts (or reuses) the test bed's own PostgreSQL, reached through three loopback addresses on one port. */
export function startPostgres(log: (line: string) => void): { port: number; addresses: readonly string[]; reused: boolean } {
  const port = testbedPgPort();
  if (postgresRunning()) {
    ensurePostgresSecurity(port);
    return { port, addresses: TESTBED_PG_ADDRESSES, reused: true };
  }
  const dir = testbedPgDir();
  mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const groupOf = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(owner.stdout.trim()), Number(groupOf.stdout.trim()));
  }
  if (!existsSync(join(dataDir(), 'PG_VERSION'))) {
    log(`initdb ${dataDir()}`);
    const init = runPg('initdb', ['-D', dataDir(), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    if (init.status !== 0) throw new TestbedError('POSTGRES_START_FAILED', `initdb failed:\n${init.output.slice(-1500)}`, { hint: `remove ${dir} and try again` });
    appendFileSync(join(dataDir(), 'postgresql.conf'), [
      '',
      '# c2y test bed: one server reached through three addresses stands in for a 3-node cluster',
      `listen_addresses = '${TESTBED_PG_ADDRESSES.join(',')}'`,
      `port = ${port}`,
      `unix_socket_directories = '${dataDir()}'`,
      'max_connections = 400',
      'shared_buffers = 256MB',
      'max_wal_size = 4GB',
      'fsync = on',
      'synchronous_commit = on',
      '',
    ].join('\n'));
  } else if (statSync(dataDir()).isDirectory()) {
    log(`reusing ${dataDir()}`);
  }
  const start = runPg('pg_ctl', ['-D', dataDir(), '-l', logFile(), '-w', '-t', '60', 'start']);
  if (start.status !== 0) {
    throw new TestbedError('POSTGRES_START_FAILED', `the test bed PostgreSQL did not start on port ${port}:\n${start.output.slice(-800)}\n${lastLines(logFile(), 10)}`, {
      hint: `if port ${port} is taken, set C2Y_TESTBED_PG_PORT to a free port`,
    });
  }
  log(`PostgreSQL listening on ${TESTBED_PG_ADDRESSES.join(', ')} port ${port}`);
  ensurePostgresSecurity(port);
  return { port, addresses: TESTBED_PG_ADDRESSES, reused: false };
}

export function stopPostgres(log: (line: string) => void): void {
  if (!postgresRunning()) return;
  const stop = runPg('pg_ctl', ['-D', dataDir(), '-m', 'fast', '-w', 'stop']);
  log(stop.status === 0 ? 'PostgreSQL stopped' : `pg_ctl stop: ${stop.output}`);
}

/** `pg_ctl restart -m fast`: the fault tests' way of restarting the target under load. */
export function restartPostgres(): void {
  const restart = runPg('pg_ctl', ['-D', dataDir(), '-l', logFile(), '-m', 'fast', '-w', 'restart']);
  if (restart.status !== 0) throw new TestbedError('POSTGRES_START_FAILED', `restart failed: ${restart.output}`, { hint: `see ${logFile()}` });
}

/** The role that may only log in over TLS with a scram password: what the security tests use. */
export const TESTBED_SECURE_USER = 'c2y_secure';
export const TESTBED_SECURE_PASSWORD = 'c2y-testbed-Secr3t-7Qx';
const SECURITY_MARKER = '# c2y test bed: TLS and scram';
const CLIENT_CERT_MARKER = '# c2y test bed: client certificates';

/**
 * TLS (ssl = on, the test bed CA's server certificate) and one role that must use TLS and a scram password; every
 * other role keeps trust auth, so the rest of the suite is unchanged. Idempotent; applied by reload.
 */
function ensurePostgresSecurity(port: number): void {
  const certs = ensureTestbedCerts();
  const conf = join(dataDir(), 'postgresql.conf');
  const hba = join(dataDir(), 'pg_hba.conf');
  const owner = isRoot() ? { uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()) } : undefined;
  let changed = false;
  if (!readFileSync(conf, 'utf8').includes(SECURITY_MARKER)) {
    for (const [from, to] of [[certs.serverCert, 'c2y-server.crt'], [certs.serverKey, 'c2y-server.key']] as const) {
      const path = join(dataDir(), to);
      copyFileSync(from, path);
      chmodSync(path, 0o600);
      if (owner) chownSync(path, owner.uid, owner.gid);
    }
    appendFileSync(conf, `\n${SECURITY_MARKER}\nssl = on\nssl_cert_file = 'c2y-server.crt'\nssl_key_file = 'c2y-server.key'\npassword_encryption = 'scram-sha-256'\n`);
    changed = true;
  }
  if (!readFileSync(conf, 'utf8').includes(CLIENT_CERT_MARKER)) {
    // Client certificates are checked against the test bed CA: the role below logs in by certificate alone.
    const path = join(dataDir(), 'c2y-ca.crt');
    copyFileSync(certs.caCert, path);
    if (owner) chownSync(path, owner.uid, owner.gid);
    appendFileSync(conf, `\n${CLIENT_CERT_MARKER}\nssl_ca_file = 'c2y-ca.crt'\n`);
    changed = true;
  }
  let rules = readFileSync(hba, 'utf8');
  if (!rules.includes(TESTBED_SECURE_USER)) {
    rules = `hostssl all ${TESTBED_SECURE_USER} 127.0.0.0/8 scram-sha-256\nhost all ${TESTBED_SECURE_USER} 127.0.0.0/8 reject\n${rules}`;
    writeFileSync(hba, rules);
    changed = true;
  }
  if (!rules.includes(TESTBED_CERT_USER)) {
    writeFileSync(hba, `hostssl all ${TESTBED_CERT_USER} 127.0.0.0/8 cert\nhost all ${TESTBED_CERT_USER} 127.0.0.0/8 reject\n${rules}`);
    changed = true;
  }
  if (changed) {
    const reload = runPg('pg_ctl', ['-D', dataDir(), 'reload']);
    if (reload.status !== 0) throw new TestbedError('POSTGRES_START_FAILED', `pg_ctl reload failed: ${reload.output}`, { hint: `see ${logFile()}` });
  }
  const sql = `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${TESTBED_SECURE_USER}') THEN CREATE ROLE ${TESTBED_SECURE_USER} LOGIN SUPERUSER; END IF; IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${TESTBED_CERT_USER}') THEN CREATE ROLE ${TESTBED_CERT_USER} LOGIN SUPERUSER; END IF; END $$; SET password_encryption = 'scram-sha-256'; ALTER ROLE ${TESTBED_SECURE_USER} PASSWORD '${TESTBED_SECURE_PASSWORD}';`;
  const role = runPg('psql', ['-h', dataDir(), '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  if (role.status !== 0) throw new TestbedError('POSTGRES_START_FAILED', `creating the test bed's TLS role failed: ${role.output}`, { hint: `see ${logFile()}` });
}

/** Addresses of the worker namespaces (see worker-namespaces.ts): "other machines" of the distributed tests. */
export const TESTBED_WORKER_SUBNET = '10.213.0.0/16';
const WORKER_SUBNET_MARKER = '# c2y test bed: worker namespaces';

/** Lets the worker namespaces in with trust, as loopback is; idempotent, applied by reload. */
export function allowWorkerSubnet(): void {
  if (!postgresRunning()) return;
  const hba = join(dataDir(), 'pg_hba.conf');
  const rules = readFileSync(hba, 'utf8');
  if (rules.includes(WORKER_SUBNET_MARKER)) return;
  appendFileSync(hba, `\n${WORKER_SUBNET_MARKER}\nhost all all ${TESTBED_WORKER_SUBNET} trust\n`);
  const reload = runPg('pg_ctl', ['-D', dataDir(), 'reload']);
  if (reload.status !== 0) throw new TestbedError('POSTGRES_START_FAILED', `reloading pg_hba.conf failed: ${reload.output}`, { hint: `see ${logFile()}` });
}
