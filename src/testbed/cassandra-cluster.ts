import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestbedError } from './testbed-error.js';
import { ensureCassandraJars } from './cassandra-jars.js';
import { JDK17_FLAGS, LOGBACK_XML, initialTokens, renderCassandraYaml } from './cassandra-yaml.js';
import { isAlive, lastLines, livePid, stopProcess } from './process-control.js';
import { isPortOpen, sleep } from './tcp-probe.js';
import { cacheRoot, cassandraLibDir, cassandraNodeDir } from './testbed-paths.js';

export const CQL_PORT = 9042;
export const STORAGE_PORT = 7000;
/** Starts of one node before giving up: a join can fail transiently while the machine is busy. */
const MAX_START_ATTEMPTS = 3;
/** How many nodes the ring was first created with; tokens depend on it. */
const RING_FILE = (): string => join(cacheRoot(), 'testbed', 'cassandra', 'ring-size');

export function nodeAddress(node: number): string {
  return `127.0.0.${node}`;
}

export interface NodeStatus {
  readonly node: number;
  readonly address: string;
  readonly pid: number | undefined;
  readonly cqlOpen: boolean;
  readonly logFile: string;
}

export interface StartOptions {
  readonly nodes: number;
  readonly heap?: string;
  readonly timeoutMs?: number;
  readonly log: (line: string) => void;
}

export interface StartResult {
  readonly started: number[];
  readonly reused: number[];
  readonly seconds: number;
}

export interface NodeFiles { readonly dir: string; readonly pidFile: string; readonly logFile: string; readonly yaml: string }

export function filesIn(dir: string): NodeFiles {
  return { dir, pidFile: join(dir, 'cassandra.pid'), logFile: join(dir, 'cassandra.log'), yaml: join(dir, 'cassandra.yaml') };
}

function nodeFiles(node: number): NodeFiles {
  return filesIn(cassandraNodeDir(node));
}

/** Existing nodes' data belongs to a ring of a fixed size; a different size needs a wipe. */
function ringSize(): number | undefined {
  const file = RING_FILE();
  if (!existsSync(file)) return undefined;
  const size = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(size) && size > 0 ? size : undefined;
}

export async function cassandraStatus(maxNodes = 3): Promise<NodeStatus[]> {
  const statuses: NodeStatus[] = [];
  for (let node = 1; node <= maxNodes; node++) {
    const files = nodeFiles(node);
    if (!existsSync(files.dir)) continue;
    const pid = livePid(files.pidFile);
    statuses.push({ node, address: nodeAddress(node), pid, cqlOpen: pid !== undefined && (await isPortOpen(nodeAddress(node), CQL_PORT)), logFile: files.logFile });
  }
  return statuses;
}

/** Starts (or reuses) nodes 1..n one after another and waits until each answers CQL. */
export async function startCassandra(options: StartOptions): Promise<StartResult> {
  const began = Date.now();
  const jars = await ensureCassandraJars(options.log);
  const previous = ringSize();
  // Node 1 holds the same token in a 1-node and a 3-node ring, so a running 1-node ring (the demo's) grows by
  // letting nodes 2 and 3 join; any other change of size needs an empty ring.
  const grows = previous === 1 && options.nodes === 3;
  if (previous !== undefined && previous !== options.nodes && !grows) {
    const running = (await cassandraStatus(3)).filter((s) => s.pid !== undefined);
    if (running.length > 0) {
      throw new TestbedError('PORT_IN_USE', `a ${previous}-node test ring is running; cannot start a ${options.nodes}-node ring beside it`, {
        hint: 'run `c2y testbed cassandra stop` first (add --wipe to start the new ring empty)',
      });
    }
    options.log(`the stored ring had ${previous} nodes; wiping it for a ${options.nodes}-node ring`);
    await wipeCassandra();
  } else if (grows) {
    options.log('growing the 1-node ring to 3 nodes: nodes 2 and 3 join with their own tokens');
  }
  mkdirSync(join(cacheRoot(), 'testbed', 'cassandra'), { recursive: true });
  writeFileSync(RING_FILE(), String(options.nodes));

  const tokens = initialTokens(options.nodes);
  const started: number[] = [];
  const reused: number[] = [];
  for (let node = 1; node <= options.nodes; node++) {
    const files = nodeFiles(node);
    const pid = livePid(files.pidFile);
    if (pid !== undefined) {
      await waitForCql(node, pid, options.timeoutMs ?? 180_000, files.logFile);
      reused.push(node);
      continue;
    }
    const address = nodeAddress(node);
    for (const port of [CQL_PORT, STORAGE_PORT]) {
      if (await isPortOpen(address, port, 300)) {
        throw new TestbedError('PORT_IN_USE', `${address}:${port} is already taken by a process c2y did not start`, {
          hint: `stop whatever listens there (ss -ltnp 'sport = :${port}') or use that Cassandra directly`,
          context: { address, port },
        });
      }
    }
    // A node that has never run may be wiped and started again; an existing member's data is never touched.
    const fresh = !existsSync(join(files.dir, 'data'));
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(join(files.dir, 'logback.xml'), LOGBACK_XML);
    const nodeStarted = Date.now();
    for (let attempt = 1; ; attempt++) {
      for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) mkdirSync(join(files.dir, sub), { recursive: true });
      writeFileSync(files.yaml, renderCassandraYaml({
        address, seeds: `${nodeAddress(1)}:${STORAGE_PORT}`, initialToken: tokens[node - 1] ?? 0n,
        // CDC on, its log synced every second: a live migration's test reads the ring's logs (no table has CDC until one asks).
        dir: files.dir, nativePort: CQL_PORT, storagePort: STORAGE_PORT, cdc: { syncMs: 1000 },
      }));
      const child = launchNode(files, jars.libDir, options.heap ?? '1g');
      options.log(`node ${node} (${address}) starting, pid ${child}, log ${files.logFile}`);
      try {
        await waitForCql(node, child, options.timeoutMs ?? 180_000, files.logFile);
        break;
      } catch (error) {
        // A joining node can miss the seed's gossip on a busy machine ("Unable to contact any seeds"): try again.
        if (!(error instanceof TestbedError) || error.code !== 'NODE_EXITED' || attempt >= MAX_START_ATTEMPTS) throw error;
        const cause = /Exception.*$/m.exec(readFileSync(files.logFile, 'utf8'))?.[0] ?? 'see the log';
        options.log(`node ${node} exited during start (attempt ${attempt} of ${MAX_START_ATTEMPTS}: ${cause}); starting it again`);
        if (fresh) for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) rmSync(join(files.dir, sub), { recursive: true, force: true });
      }
    }
    options.log(`node ${node} answers CQL on ${address}:${CQL_PORT} after ${((Date.now() - nodeStarted) / 1000).toFixed(1)} s`);
    started.push(node);
  }
  return { started, reused, seconds: (Date.now() - began) / 1000 };
}

/** Starts one Cassandra JVM in the background; `extra` adds JVM system properties. */
export function launchNode(files: NodeFiles, libDir: string, heap: string, extra: readonly string[] = []): number {
  const logFd = openSync(files.logFile, 'a');
  const args = [
    `-Xms${heap === '1g' ? '512m' : heap}`, `-Xmx${heap}`, '-Xss512k', '-XX:+ExitOnOutOfMemoryError',
    ...JDK17_FLAGS,
    `-javaagent:${join(libDir, findJamm(libDir))}`,
    `-Dcassandra.config=file://${files.yaml}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${files.dir}`,
    `-Dcassandra.logdir=${files.dir}`,
    `-Dlogback.configurationFile=file://${join(files.dir, 'logback.xml')}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    // A joining node sleeps this long, then must have gossiped with a seed (StorageService.bootstrap): 1 s is too tight.
    '-Dcassandra.ring_delay_ms=5000',
    '-Dcassandra.size_recorder_interval=30',
    '-Djava.net.preferIPv4Stack=true',
    ...extra,
    '-cp', `${libDir}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
  const child = spawn('java', args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  if (child.pid === undefined) throw new TestbedError('JAVA_MISSING', 'could not start java', { hint: 'install a JDK 17 and put java on PATH' });
  child.unref();
  writeFileSync(files.pidFile, String(child.pid));
  return child.pid;
}

function findJamm(libDir: string): string {
  const jamm = readdirSync(libDir).find((name) => /^jamm-.*\.jar$/.test(name));
  if (!jamm) throw new TestbedError('CACHE_INCOMPLETE', `no jamm jar in ${libDir}`, { hint: `delete ${libDir} and start again to re-download` });
  return jamm;
}

export async function waitForCql(node: number | string, pid: number, timeoutMs: number, logFile: string): Promise<void> {
  const address = typeof node === 'number' ? nodeAddress(node) : node;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new TestbedError('NODE_EXITED', `Cassandra node ${node} exited during startup. Last log lines:\n${lastLines(logFile, 15)}`, {
        hint: `read ${logFile}; a wrong yaml key or a port in use are the usual causes`,
      });
    }
    if (await isPortOpen(address, CQL_PORT)) return;
    await sleep(500);
  }
  throw new TestbedError('NODE_START_TIMEOUT', `Cassandra node ${node} did not answer CQL within ${timeoutMs / 1000} s. Last log lines:\n${lastLines(logFile, 15)}`, {
    hint: 'the node is left running; check the log, then `c2y testbed cassandra stop` and start again',
    retryable: true,
  });
}

export async function stopCassandra(log: (line: string) => void, graceMs = 15_000): Promise<void> {
  const statuses = await cassandraStatus(3);
  await Promise.all(statuses.map(async (status) => {
    if (status.pid === undefined) return;
    const how = await stopProcess(status.pid, graceMs);
    log(`node ${status.node} ${how}`);
  }));
}

/** kill -9 of one node: the fault tests' way of losing a replica. */
export function killCassandraNode(node: number): number {
  const pid = livePid(nodeFiles(node).pidFile);
  if (pid === undefined) throw new TestbedError('NODE_NOT_RUNNING', `Cassandra node ${node} is not running`, { hint: '`c2y testbed cassandra status` lists the nodes' });
  process.kill(pid, 'SIGKILL');
  // Wait until the process is gone (its ports released), so a restart right after cannot find them taken.
  const deadline = Date.now() + 10_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (isAlive(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
  return pid;
}

export async function wipeCassandra(): Promise<void> {
  rmSync(join(cacheRoot(), 'testbed', 'cassandra'), { recursive: true, force: true });
}

/**
 * The ring's nodes as a CDC agent names them (`<cassandra.yaml>,<lib folder>`, as --cdc-node takes them): every node
 * runs with cdc_enabled, and its files are on this machine.
 */
export function ringCdcNodes(nodes = 3): string[] {
  return Array.from({ length: nodes }, (_, index) => `${nodeFiles(index + 1).yaml},${cassandraLibDir()}`);
}
