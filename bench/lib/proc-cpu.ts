/**
 * CPU seconds of other processes from /proc: the Cassandra JVMs and a PostgreSQL server's whole process tree, so a
 * bench can say what each side costs per row (and so what bound the machine sets for any migrator).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat { readonly pid: number; readonly ppid: number; readonly ticks: number; readonly childTicks: number }

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const field = (n: number): number => Number(fields[n - 3]);
    return { pid, ppid: field(4), ticks: field(14) + field(15), childTicks: field(16) + field(17) };
  } catch {
    return undefined;
  }
}

/** CPU seconds of these processes (user + system), children they reaped included. */
export function processesCpuSeconds(pids: readonly number[]): number {
  return pids.map(procStat).reduce((sum, stat) => sum + (stat ? stat.ticks + stat.childTicks : 0), 0) / TICKS_PER_SECOND;
}

/** CPU seconds of this one process (user + system), without the children it reaped. */
export function ownCpuSeconds(pid: number): number {
  return (procStat(pid)?.ticks ?? 0) / TICKS_PER_SECOND;
}

/** A server and its child processes (PostgreSQL's backends, writers, walwriter): their CPU, reaped backends included. */
export function processTreeCpuSeconds(rootPid: number): number {
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map((name) => procStat(Number(name))).filter((stat): stat is ProcStat => stat !== undefined);
  const root = all.find((stat) => stat.pid === rootPid);
  if (!root) return 0;
  const children = all.filter((stat) => stat.ppid === rootPid);
  return (root.ticks + root.childTicks + children.reduce((sum, stat) => sum + stat.ticks, 0)) / TICKS_PER_SECOND;
}

/** The postmaster of the server whose data directory this is (its postmaster.pid's first line). */
export function postmasterPid(dataDirectory: string): number {
  return Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
}
