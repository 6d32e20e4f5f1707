import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CQL_PORT, filesIn, launchNode, STORAGE_PORT, waitForCql } from './cassandra-cluster.js';
import { ensureCassandraJars } from './cassandra-jars.js';
import { LOGBACK_XML, renderCassandraYaml } from './cassandra-yaml.js';
import { livePid, stopProcess } from './process-control.js';
import { cacheRoot } from './testbed-paths.js';

/** A two-node cluster of its own, one node per data center, beside the ring: for the local-DC read paths. */
export const MULTI_DC_NODES = [
  { address: '127.0.0.5', dc: 'dc1', token: -(2n ** 62n) },
  { address: '127.0.0.6', dc: 'dc2', token: 2n ** 62n },
] as const;

function nodeFiles(index: number): ReturnType<typeof filesIn> {
  return filesIn(join(cacheRoot(), 'testbed', 'cassandra-multidc', `node${index + 1}`));
}

/** Starts (or reuses) both nodes, one after the other, and waits until each answers CQL. */
export async function startMultiDcCassandra(log: (line: string) => void): Promise<void> {
  const jars = await ensureCassandraJars(log);
  const seeds = MULTI_DC_NODES.map((node) => `${node.address}:${STORAGE_PORT}`).join(',');
  for (const [index, node] of MULTI_DC_NODES.entries()) {
    const files = nodeFiles(index);
    const running = livePid(files.pidFile);
    if (running !== undefined) {
      await waitForCql(node.address, running, 180_000, files.logFile);
      continue;
    }
    for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) mkdirSync(join(files.dir, sub), { recursive: true });
    writeFileSync(join(files.dir, 'logback.xml'), LOGBACK_XML);
    const rackdc = join(files.dir, 'cassandra-rackdc.properties');
    writeFileSync(rackdc, `dc=${node.dc}\nrack=rack1\n`);
    writeFileSync(files.yaml, renderCassandraYaml({
      address: node.address, seeds, initialToken: node.token, dir: files.dir, nativePort: CQL_PORT, storagePort: STORAGE_PORT,
      clusterName: 'c2y-testbed-multidc', gossipingSnitch: true,
    }));
    const pid = launchNode(files, jars.libDir, '1g', [`-Dcassandra-rackdc.properties=file://${rackdc}`]);
    log(`multi-DC node ${node.address} (${node.dc}) starting, pid ${pid}, log ${files.logFile}`);
    await waitForCql(node.address, pid, 180_000, files.logFile);
  }
}

export async function stopMultiDcCassandra(wipe = false): Promise<void> {
  for (const index of MULTI_DC_NODES.keys()) {
    const files = nodeFiles(index);
    const pid = livePid(files.pidFile);
    if (pid !== undefined) await stopProcess(pid, 15_000);
    if (wipe) rmSync(files.dir, { recursive: true, force: true });
  }
}
