import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { TestbedError } from './testbed-error.js';
import { isPortOpen, sleep } from './tcp-probe.js';

export interface TestbedRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A throwaway Redis for a distributed test or bench: loopback only, no persistence, so each start is empty and no
 * run shares keys with the machine's own Redis. Protected mode is off because the worker namespaces connect from
 * their own addresses, routed over loopback.
 */
export interface TestbedRedisOptions {
  /** AUTH: clients must send this password. */
  readonly password?: string;
  /** TLS only (no plain port), with the test bed's certificates. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

export async function startTestbedRedis(options: TestbedRedisOptions = {}): Promise<TestbedRedis> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new TestbedError('TESTBED_REDIS_FAILED', 'redis-server is not installed', { hint: 'apt-get install redis-server (.ci/run does it)' });
  }
  const port = await freePort();
  const security = [
    ...(options.password ? ['--requirepass', options.password] : []),
    ...(options.tls ? ['--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no'] : []),
  ];
  const ports = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const child = spawn('redis-server', [...ports, '--bind', '127.0.0.1', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', ...security], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await isPortOpen('127.0.0.1', port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new TestbedError('TESTBED_REDIS_FAILED', `redis-server did not listen on 127.0.0.1:${port}`, { hint: 'run redis-server by hand to see why' });
    }
    await sleep(100);
  }
  return {
    port, url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
