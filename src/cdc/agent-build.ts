import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { C2yError } from '../errors/index.js';

/** The agent's source, shipped with c2y and compiled on the node against that node's own Cassandra jars. */
export const AGENT_SOURCE = fileURLToPath(new URL('../../cdc-agent/src/C2yCdcAgent.java', import.meta.url));
const AGENT_CLASS = 'C2yCdcAgent';

/** The cassandra-all jar in a Cassandra lib folder, and its version (from the jar's name). */
export function cassandraJarOf(libDir: string): { readonly jar: string; readonly version: string } {
  const names = existsSync(libDir) ? readdirSync(libDir) : [];
  const jar = names.find((name) => /^(apache-)?cassandra-(all-)?\d+\.\d+\.\d+.*\.jar$/.test(name) && !name.includes('driver'));
  const version = jar === undefined ? undefined : /(\d+\.\d+\.\d+)/.exec(jar)?.[1];
  if (jar === undefined || version === undefined) {
    throw new C2yError('CONFIG_INVALID', `no Cassandra jar (cassandra-all-<version>.jar or apache-cassandra-<version>.jar) in ${libDir}`, {
      hint: 'give --lib the node\'s Cassandra lib folder (e.g. /usr/share/cassandra/lib, or $CASSANDRA_HOME/lib), or --node-dir $CASSANDRA_HOME',
    });
  }
  return { jar: join(libDir, jar), version };
}

/**
 * Compiles the agent once per (source, Cassandra jar) into `cacheDir` and returns the folder holding its classes.
 * javac reads the node's own jars, so the agent always matches the Cassandra that wrote the log.
 */
export function ensureAgentClasses(libDir: string, cacheDir: string): string {
  const { jar } = cassandraJarOf(libDir);
  const source = readFileSync(AGENT_SOURCE);
  const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const classes = join(cacheDir, `cdc-agent-${key}`);
  if (existsSync(join(classes, `${AGENT_CLASS}.class`))) return classes;
  const building = `${classes}.building-${process.pid}`;
  mkdirSync(building, { recursive: true });
  const javac = spawnSync('javac', ['-nowarn', '-proc:none', '-cp', `${libDir}/*`, '-d', building, AGENT_SOURCE], { encoding: 'utf8' });
  if (javac.error || javac.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new C2yError('CONFIG_INVALID', `the CDC agent could not be compiled: ${javac.error?.message ?? javac.stderr.slice(-1500)}`, {
      hint: 'c2y cdc agent needs a JDK 17 (javac) on the Cassandra node, and the node\'s Cassandra 4.1 or 5.0 jars (--lib)',
    });
  }
  // Renamed into place whole: a half-built folder is never taken for a built one.
  rmSync(classes, { recursive: true, force: true });
  renameSync(building, classes);
  return classes;
}
