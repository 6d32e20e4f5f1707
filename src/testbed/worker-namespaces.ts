import { spawnSync } from 'node:child_process';
import { TestbedError } from './testbed-error.js';
import { allowWorkerSubnet } from './postgres-instance.js';

/**
 * "Other machines" for distributed tests and the scale bench: one network namespace per worker, joined to this
 * host by a veth pair (host side 10.213.N.1, namespace side 10.213.N.2). Loopback addresses are routed over the
 * pair (route_localnet on both ends), so a worker there reaches the test bed's services (Cassandra on 127.0.0.1–3,
 * PostgreSQL, Redis) at the very addresses the driver uses, and they see it as a remote client at 10.213.N.2.
 */
export interface WorkerNamespace {
  readonly index: number;
  readonly name: string;
  /** The namespace's own address: what the servers see as the client. */
  readonly address: string;
  readonly hostAddress: string;
}

const NAME_PREFIX = 'c2yw';

function ip(args: readonly string[], allowFailure = false): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0 && !allowFailure) {
    throw new TestbedError('TESTBED_NETNS_FAILED', `ip ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim()}`, {
      hint: 'network namespaces need root (CAP_NET_ADMIN) and the iproute2 package',
    });
  }
  return result.stdout;
}

function sysctl(namespace: string | undefined, key: string, value: string): void {
  const args = namespace === undefined ? ['-w', `${key}=${value}`] : [];
  const result = namespace === undefined
    ? spawnSync('sysctl', args, { encoding: 'utf8' })
    : spawnSync('ip', ['netns', 'exec', namespace, 'sysctl', '-w', `${key}=${value}`], { encoding: 'utf8' });
  if (result.status !== 0) throw new TestbedError('TESTBED_NETNS_FAILED', `sysctl ${key}=${value}${namespace ? ` in ${namespace}` : ''} failed: ${result.stderr.trim()}`, { hint: 'run as root' });
}

/** Namespaces left by an earlier run that was killed. */
export function removeWorkerNamespaces(): void {
  for (const line of ip(['netns', 'list'], true).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(NAME_PREFIX)) ip(['netns', 'del', name], true);
  }
}

export function createWorkerNamespaces(count: number): WorkerNamespace[] {
  removeWorkerNamespaces();
  const out: WorkerNamespace[] = [];
  for (let index = 1; index <= count; index++) {
    const name = `${NAME_PREFIX}${index}`;
    const hostSide = `c2yh${index}`;
    const nsSide = `c2yn${index}`;
    const hostAddress = `10.213.${index}.1`;
    const address = `10.213.${index}.2`;
    ip(['link', 'del', hostSide], true);
    ip(['netns', 'add', name]);
    ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
    ip(['link', 'set', nsSide, 'netns', name]);
    ip(['addr', 'add', `${hostAddress}/24`, 'dev', hostSide]);
    ip(['link', 'set', hostSide, 'up']);
    ip(['-n', name, 'addr', 'add', `${address}/24`, 'dev', nsSide]);
    ip(['-n', name, 'link', 'set', nsSide, 'up']);
    // Loopback addresses are "martian" off the lo device unless route_localnet is set, on each end of the pair only.
    sysctl(undefined, `net.ipv4.conf.${hostSide}.route_localnet`, '1');
    sysctl(name, `net.ipv4.conf.${nsSide}.route_localnet`, '1');
    ip(['-n', name, 'route', 'add', '127.0.0.0/8', 'via', hostAddress, 'dev', nsSide]);
    out.push({ index, name, address, hostAddress });
  }
  allowWorkerSubnet();
  return out;
}

/** argv that runs `command` inside the namespace (ip netns exec replaces itself, so the pid is the command's). */
export function inNamespace(namespace: WorkerNamespace, command: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: 'ip', args: ['netns', 'exec', namespace.name, command, ...args] };
}
