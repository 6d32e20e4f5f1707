import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CASSANDRA_VERSION = process.env.C2Y_CASSANDRA_VERSION ?? '5.0.8';

/** Outside the repo's tracked files; survives `git clean` but not a new machine. */
export function cacheRoot(): string {
  return resolve(process.env.C2Y_CACHE ?? join(homedir(), '.cache', 'c2y'));
}

export function cassandraLibDir(): string {
  return join(cacheRoot(), `cassandra-${CASSANDRA_VERSION}`, 'lib');
}

/** Written only after Maven succeeded, so a half-downloaded folder is recognised. */
export function cassandraLibMarker(): string {
  return join(cacheRoot(), `cassandra-${CASSANDRA_VERSION}`, '.complete');
}

export function cassandraNodeDir(node: number): string {
  return join(cacheRoot(), 'testbed', 'cassandra', `node${node}`);
}

/** The package root: where testbed/cassandra-pom.xml ships. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
