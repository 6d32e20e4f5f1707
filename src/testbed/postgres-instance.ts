import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C2yError } from '../errors/index.js';
import { lastLines } from './process-control.js';
import { cacheRoot } from './testbed-paths.js';

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
    throw new C2yError('POSTGRES_START_FAILED', 'no PostgreSQL server binaries under /usr/lib/postgresql', { hint: 'apt-get install postgresql' });
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
  if (postgresRunning()) return { port, addresses: TESTBED_PG_ADDRESSES, reused: true };
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
    if (init.status !== 0) throw new C2yError('POSTGRES_START_FAILED', `initdb failed:\n${init.output.slice(-1500)}`, { hint: `remove ${dir} and try again` });
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
    throw new C2yError('POSTGRES_START_FAILED', `the test bed PostgreSQL did not start on port ${port}:\n${start.output.slice(-800)}\n${lastLines(logFile(), 10)}`, {
      hint: `if port ${port} is taken, set C2Y_TESTBED_PG_PORT to a free port`,
    });
  }
  log(`PostgreSQL listening on ${TESTBED_PG_ADDRESSES.join(', ')} port ${port}`);
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
  if (restart.status !== 0) throw new C2yError('POSTGRES_START_FAILED', `restart failed: ${restart.output}`, { hint: `see ${logFile()}` });
}
