import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCassandra } from '../../src/source/index.js';
import {
  ensureTestbedCerts, loadTestData, SECURE_CASSANDRA_ADDRESS, SECURE_CASSANDRA_PASSWORD, SECURE_CASSANDRA_USER, startSecureCassandra, stopSecureCassandra,
  TESTBED_CERT_USER, TESTBED_SECURE_PASSWORD, TESTBED_SECURE_USER,
} from '../../src/testbed/index.js';
import { cassandraEventsDigest, postgresEventsDigest, type TableDigest } from '../helpers/events-digest.js';
import { uniqueName } from '../helpers/servers.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { C2Y_BIN, runC2y, type CliResult } from '../helpers/run-cli.js';

let fx: MigrateFixture;
const ROWS = 3000;
/** Config files live apart from the run folder, which must not hold a password. */
const configDir = mkdtempSync(join(tmpdir(), 'c2y-sec-config-'));
/** The reader's password on the secured Cassandra node (and, unused, on the open ring): never printed or stored. */
const SOURCE_PASSWORD = 'source-Pa55-word-9d1e';

let secureKeyspace: string;
let secureDigest: TableDigest;

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'sec');
  // A Cassandra node of its own with PasswordAuthenticator and TLS-only clients; a reader role with SOURCE_PASSWORD.
  await startSecureCassandra(() => undefined);
  const certs = ensureTestbedCerts();
  const admin = { username: SECURE_CASSANDRA_USER, password: SECURE_CASSANDRA_PASSWORD, tls: 'verify-full' as const, tlsCa: certs.caCert };
  secureKeyspace = uniqueName('secure');
  await loadTestData({ contactPoints: [SECURE_CASSANDRA_ADDRESS], keyspace: secureKeyspace, rows: ROWS, zooRows: 0, seed: 3, replicationFactor: 1, log: () => undefined, session: admin });
  const client = await openCassandra({ contactPoints: [SECURE_CASSANDRA_ADDRESS], port: 9042, localDataCenter: 'datacenter1', consistency: 'ONE', fetchSize: 5000, ...admin });
  try {
    await client.execute(`CREATE ROLE IF NOT EXISTS c2y_reader WITH LOGIN = true AND PASSWORD = '${SOURCE_PASSWORD}'`);
    await client.execute(`GRANT SELECT ON KEYSPACE ${secureKeyspace} TO c2y_reader`);
    secureDigest = await cassandraEventsDigest(client, secureKeyspace);
  } finally {
    await client.shutdown();
  }
}, 240_000);
afterAll(async () => {
  await stopSecureCassandra(true);
  await fx?.close();
}, 60_000);

/** Every file under a folder, recursively, as text. */
function filesUnder(folder: string): Array<{ path: string; text: string }> {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, text: readFileSync(path, 'utf8') }];
  });
}

function expectNoSecret(outputs: ReadonlyArray<CliResult>): void {
  const places = [...outputs.flatMap((o) => [{ path: 'stdout', text: o.stdout }, { path: 'stderr', text: o.stderr }]), ...filesUnder(fx.runDir)];
  for (const { path, text } of places) {
    for (const secret of [TESTBED_SECURE_PASSWORD, SOURCE_PASSWORD]) expect(text.includes(secret), `${secret} found in ${path}`).toBe(false);
  }
}

/** A config file with the target password in it (credentials from a file); the source password comes from env. */
function secureConfig(name: string, target: Record<string, unknown>, withPassword = true): string {
  const path = join(configDir, `${name}.yaml`);
  const credentials = withPassword ? { password: TESTBED_SECURE_PASSWORD } : {};
  writeFileSync(path, stringify({ source: { username: 'reader' }, target: { user: TESTBED_SECURE_USER, ...credentials, ...target } }));
  return path;
}

describe('authentication and TLS on both sides, and secrets', () => {
  const certs = ensureTestbedCerts();
  const env = { C2Y_SOURCE_PASSWORD: SOURCE_PASSWORD };

  it('migrates over verify-full TLS with a scram password read from the config file; without TLS the server refuses', async () => {
    const ok = await runC2y([...fx.args('tls_ok', ['--json', '--ui-port', '0']), '--config', secureConfig('ok', { sslMode: 'verify-full', sslRootCert: certs.caCert })], env);
    expect(ok.stderr).not.toContain('INSECURE');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'finished', rows: ROWS });
    expect(await postgresEventsDigest(fx.db, 'tls_ok')).toEqual(fx.sourceDigest);

    const plain = await runC2y([...fx.args('tls_plain', ['--ui-port', '0']), '--config', secureConfig('plain', { sslMode: 'disable' })], env);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain('TARGET_UNREACHABLE');
    expect(plain.stderr).toMatch(/no encryption|rejects connection/);
    expectNoSecret([ok, plain]);
  }, 120_000);

  it('refuses a server whose certificate another CA signed, and says so; require (the opt-out) connects and warns loudly', async () => {
    const wrongCa = await runC2y([...fx.args('tls_wrong_ca', ['--ui-port', '0']), '--config', secureConfig('wrongca', { sslMode: 'verify-full', sslRootCert: certs.otherCaCert })], env);
    expect(wrongCa.code).toBe(3);
    expect(wrongCa.stderr).toContain('TARGET_UNREACHABLE');
    expect(wrongCa.stderr).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
    const tables = await fx.db.query(`SELECT 1 FROM pg_tables WHERE tablename = 'tls_wrong_ca'`);
    expect(tables.rows).toHaveLength(0);

    const insecure = await runC2y([...fx.args('tls_insecure', ['--json', '--ui-port', '0']), '--config', secureConfig('insecure', { sslMode: 'require' })], env);
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(/"level":"warn","msg":"INSECURE TLS: certificate checks are off".*target\.sslMode is \\"require\\"/);
    expectNoSecret([wrongCa, insecure]);
  }, 120_000);

  it('authenticates to the target by client certificate (mutual TLS): with it exact, without it refused, half of it a config error', async () => {
    const certConfig = (name: string, target: Record<string, unknown>): string => {
      const path = join(configDir, `${name}.yaml`);
      writeFileSync(path, stringify({ target: { user: TESTBED_CERT_USER, sslMode: 'verify-full', sslRootCert: certs.caCert, ...target } }));
      return path;
    };
    const ok = await runC2y([...fx.args('mtls_ok', ['--json', '--ui-port', '0']), '--config', certConfig('mtls-ok', { sslCert: certs.clientCert, sslKey: certs.clientKey })]);
    expect(ok.code, ok.stderr.slice(-1000)).toBe(0);
    expect(await postgresEventsDigest(fx.db, 'mtls_ok')).toEqual(fx.sourceDigest);
    const without = await runC2y([...fx.args('mtls_none', ['--ui-port', '0']), '--config', certConfig('mtls-none', {})]);
    expect(without.code).toBe(3);
    expect(without.stderr).toMatch(/TARGET_UNREACHABLE.*(certificate|no pg_hba|authentication)/i);
    const half = await runC2y([...fx.args('mtls_half', ['--ui-port', '0']), '--config', certConfig('mtls-half', { sslCert: certs.clientCert })]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('config key "target.sslKey" is missing: a client certificate needs both target.sslCert and target.sslKey');
  }, 120_000);

  it('a wrong password is a clear error that does not echo either password', async () => {
    const path = join(configDir, 'badpw.yaml');
    writeFileSync(path, stringify({ target: { user: TESTBED_SECURE_USER, password: `${TESTBED_SECURE_PASSWORD}-wrong`, sslMode: 'verify-full', sslRootCert: certs.caCert } }));
    const bad = await runC2y([...fx.args('badpw', ['--ui-port', '0']), '--config', path], env);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/TARGET_UNREACHABLE.*password authentication failed/);
    expect(bad.stderr).not.toContain(`${TESTBED_SECURE_PASSWORD}-wrong`);
    expectNoSecret([bad]);
  }, 60_000);

  it('--ask-password reads the password on the terminal without echo (never a flag)', async () => {
    // `script` gives c2y a pseudo-terminal; the password is typed into it.
    const args = [...fx.args('prompted', ['--ui-port', '0', '--json']), '--config', secureConfig('prompt', { sslMode: 'verify-full', sslRootCert: certs.caCert }, false), '--ask-password']
      .map((arg) => (arg === 'migrate' ? 'plan' : arg)).filter((arg, i, all) => arg !== '--run-dir' && all[i - 1] !== '--run-dir' && arg !== '--ui-port' && all[i - 1] !== '--ui-port');
    const command = [process.execPath, C2Y_BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // Typed once the prompt is shown, as a person would: type-ahead would be echoed by the terminal, not by c2y.
      if (!typed && output.includes('password for c2y_secure on the target: ')) {
        typed = true;
        child.stdin.write(`${TESTBED_SECURE_PASSWORD}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(output).toContain('password for c2y_secure on the target: ');
    expect(output).not.toContain(TESTBED_SECURE_PASSWORD);
    expect(output).toContain('"targetRttMs"');
    expect(code).toBe(0);
  }, 60_000);

  it('reads Cassandra with PasswordAuthenticator over verify-full TLS into the TLS target, exact; a wrong CA or password is refused, clearly', async () => {
    const sourceTls = ['--contact-points', SECURE_CASSANDRA_ADDRESS, '--set', 'source.tls=verify-full', '--set', `source.tlsCa=${certs.caCert}`];
    const args = (table: string, extra: string[]): string[] => {
      const base = fx.args(table, ['--ui-port', '0', ...extra]);
      const at = base.indexOf('--contact-points');
      base.splice(at, 2);
      return base.map((arg) => (arg === fx.keyspace ? secureKeyspace : arg));
    };
    const config = secureConfig('both', { sslMode: 'verify-full', sslRootCert: certs.caCert });
    const ok = await runC2y([...args('both_tls', [...sourceTls, '--json']), '--config', config, '--set', 'source.username=c2y_reader'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'finished', rows: ROWS });
    expect(await postgresEventsDigest(fx.db, 'both_tls')).toEqual(secureDigest);

    const wrongCa = await runC2y([...args('both_wrong_ca', ['--contact-points', SECURE_CASSANDRA_ADDRESS, '--set', 'source.tls=verify-full', '--set', `source.tlsCa=${certs.otherCaCert}`]), '--config', config, '--set', 'source.username=c2y_reader'], env);
    expect(wrongCa.code).toBe(3);
    expect(wrongCa.stderr).toMatch(/SOURCE_UNREACHABLE.*(unable to verify|self[- ]signed|certificate)/);
    const wrongPassword = await runC2y([...args('both_wrong_pw', sourceTls), '--config', config, '--set', 'source.username=c2y_reader'], { C2Y_SOURCE_PASSWORD: `${SOURCE_PASSWORD}-nope` });
    expect(wrongPassword.code).toBe(3);
    expect(wrongPassword.stderr).toMatch(/SOURCE_UNREACHABLE.*username c2y_reader and\/or password are incorrect/);
    expect(wrongPassword.stderr).not.toContain(`${SOURCE_PASSWORD}-nope`);
    const noTls = await runC2y([...args('both_no_tls', ['--contact-points', SECURE_CASSANDRA_ADDRESS]), '--config', config, '--set', 'source.username=c2y_reader'], env);
    expect(noTls.code).toBe(3);
    expect(noTls.stderr).toContain('SOURCE_UNREACHABLE');
    expectNoSecret([ok, wrongCa, wrongPassword, noTls]);
  }, 180_000);
});
