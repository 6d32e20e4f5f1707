import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CPU cgroup with a quota: the processes put in it (and the children they fork later) share `cores` of CPU. */
export interface CpuQuota {
  readonly path: string;
  readonly cores: number;
  readonly version: 1 | 2;
  add(pid: number): void;
  /** The processes in the group now. */
  pids(): number[];
  /** CPU seconds the group has used (cpuacct / cpu.stat), for the results. */
  cpuSeconds(): number;
  /** Removes the group once its processes have exited (retried while the last ones end). */
  remove(): Promise<void>;
}

async function removeDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of new Set(dirs)) {
    for (let attempt = 0; ; attempt++) {
      try {
        if (existsSync(dir)) rmdirSync(dir);
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

function pidsIn(group: string): number[] {
  return readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

/** `pid` and every process below it (from /proc's parent links): a worker and the executors it has forked. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // After the command's closing parenthesis: state, then the parent's pid.
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // It exited while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/**
 * Waits until no process is left in the group (SIGKILL to those still there after `graceMs`), so the next trial's
 * workers get the whole quota and the group can be removed.
 */
export async function drainQuota(quota: CpuQuota, graceMs = 10_000): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = quota.pids();
    if (left.length === 0) return;
    if (Date.now() > deadline + 5000) throw new Error(`processes ${left.join(', ')} stay in ${quota.path} after SIGKILL`);
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const PERIOD_US = 100_000;
const V1_CPU = '/sys/fs/cgroup/cpu';
const V1_CPUACCT = '/sys/fs/cgroup/cpuacct';
const V2_ROOT = '/sys/fs/cgroup';

/**
 * A quota of `cores` (e.g. 0.2) for a simulated machine: cgroup v1's cpu.cfs_quota_us where the cpu controller is
 * mounted on its own, else v2's cpu.max. Throws, saying why, where neither can be written (not root, no cgroups).
 */
export function createCpuQuota(name: string, cores: number): CpuQuota {
  const quotaUs = Math.max(1000, Math.round(cores * PERIOD_US));
  if (existsSync(join(V1_CPU, 'cpu.cfs_quota_us'))) {
    const path = join(V1_CPU, name);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quotaUs));
    // cpu and cpuacct are often mounted together (cpu,cpuacct); else the accounting group is made beside it.
    const acct = existsSync(join(path, 'cpuacct.usage')) ? path : join(V1_CPUACCT, name);
    if (acct !== path) mkdirSync(acct, { recursive: true });
    return {
      path, cores, version: 1,
      add: (pid) => {
        writeFileSync(join(path, 'cgroup.procs'), String(pid));
        if (acct !== path) writeFileSync(join(acct, 'cgroup.procs'), String(pid));
      },
      pids: () => pidsIn(path),
      cpuSeconds: () => Number(readFileSync(join(acct, 'cpuacct.usage'), 'utf8')) / 1e9,
      remove: () => removeDirs([path, acct]),
    };
  }
  if (existsSync(join(V2_ROOT, 'cgroup.controllers'))) {
    const path = join(V2_ROOT, name);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
    return {
      path, cores, version: 2,
      add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)),
      pids: () => pidsIn(path),
      cpuSeconds: () => Number(/usage_usec (\d+)/.exec(readFileSync(join(path, 'cpu.stat'), 'utf8'))?.[1] ?? 0) / 1e6,
      remove: () => removeDirs([path]),
    };
  }
  throw new Error('no writable CPU cgroup (v1 /sys/fs/cgroup/cpu or v2 cpu.max): run the scale-out bench as root on Linux');
}
