import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CQL_PORT, filesIn, launchNode, STORAGE_PORT, waitForCql } from './cassandra-cluster.js';
import { ensureCassandraJars } from './cassandra-jars.js';
import { LOGBACK_XML, renderCassandraYaml } from './cassandra-yaml.js';
import { livePid, stopProcess } from './process-control.js';
import { cacheRoot } from './testbed-paths.js';

/** A one-node cluster of its own beside the ring, with cdc_enabled and a commit log synced every second. */
export const CDC_CASSANDRA_ADDRESS = '127.0.0.7';
export const CDC_SYNC_MS = 1000;

/** The CDC node's folder: its cassandra.yaml, commit log and cdc_raw, as a CDC agent on that machine would see them. */
export function cdcNodeFiles(): ReturnType<typeof filesIn> {
  return filesIn(join(cacheRoot(), 'testbed', 'cassandra-cdc'));
}

/** Starts (or reuses) the CDC node and waits until it answers CQL. */
export async function startCdcCassandra(log: (line: string) => void): Promise<{ address: string; dir: string; yaml: string; libDir: string; reused: boolean }> {
  const files = cdcNodeFiles();
  const jars = await ensureCassandraJars(log);
  const running = livePid(files.pidFile);
  if (running !== undefined) {
    await waitForCql(CDC_CASSANDRA_ADDRESS, running, 180_000, files.logFile);
    return { address: CDC_CASSANDRA_ADDRESS, dir: files.dir, yaml: files.yaml, libDir: jars.libDir, reused: true };
  }
  for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) mkdirSync(join(files.dir, sub), { recursive: true });
  writeFileSync(join(files.dir, 'logback.xml'), LOGBACK_XML);
  writeFileSync(files.yaml, renderCassandraYaml({
    address: CDC_CASSANDRA_ADDRESS, seeds: `${CDC_CASSANDRA_ADDRESS}:${STORAGE_PORT}`, initialToken: 0n, dir: files.dir,
    nativePort: CQL_PORT, storagePort: STORAGE_PORT, clusterName: 'c2y-testbed-cdc', cdc: { syncMs: CDC_SYNC_MS, smallSegments: true },
  }));
  const pid = launchNode(files, jars.libDir, '1g');
  log(`CDC node (${CDC_CASSANDRA_ADDRESS}, cdc_enabled, commit log synced every ${CDC_SYNC_MS} ms) starting, pid ${pid}, log ${files.logFile}`);
  await waitForCql(CDC_CASSANDRA_ADDRESS, pid, 180_000, files.logFile);
  return { address: CDC_CASSANDRA_ADDRESS, dir: files.dir, yaml: files.yaml, libDir: jars.libDir, reused: false };
}

export async function stopCdcCassandra(wipe = false): Promise<void> {
  const files = cdcNodeFiles();
  const pid = livePid(files.pidFile);
  if (pid !== undefined) await stopProcess(pid, 15_000);
  if (wipe) rmSync(files.dir, { recursive: true, force: true });
}
