import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TestbedError } from './testbed-error.js';
import { requireCommand } from './process-control.js';
import { CASSANDRA_VERSION, cassandraLibDir, cassandraLibMarker, packageRoot } from './testbed-paths.js';

export interface JarCache {
  readonly libDir: string;
  readonly jarCount: number;
  readonly downloaded: boolean;
}

/** Resolves cassandra-all and its runtime dependencies from Maven Central once; later calls reuse the cache. */
export async function ensureCassandraJars(log: (line: string) => void): Promise<JarCache> {
  const libDir = cassandraLibDir();
  const marker = cassandraLibMarker();
  if (existsSync(marker) && existsSync(libDir)) {
    return { libDir, jarCount: countJars(libDir), downloaded: false };
  }
  requireCommand('java', ['-version'], 'JAVA_MISSING', 'install a JDK 17 (apt-get install openjdk-17-jdk-headless) and put java on PATH');
  requireCommand('mvn', ['--version'], 'MAVEN_MISSING', 'install Maven (apt-get install maven) and put mvn on PATH');
  if (existsSync(libDir)) {
    log(`jar cache ${libDir} is incomplete (no ${marker}); downloading it again`);
    rmSync(libDir, { recursive: true, force: true });
  }
  mkdirSync(libDir, { recursive: true });
  log(`resolving org.apache.cassandra:cassandra-all:${CASSANDRA_VERSION} from Maven Central into ${libDir}`);
  const pom = join(packageRoot(), 'testbed', 'cassandra-pom.xml');
  const output = await runMaven([
    '-B', '-q', '-f', pom, 'dependency:copy-dependencies',
    `-Dcassandra.version=${CASSANDRA_VERSION}`, `-DoutputDirectory=${libDir}`, '-DincludeScope=runtime',
  ]);
  const jarCount = countJars(libDir);
  if (!existsSync(join(libDir, `cassandra-all-${CASSANDRA_VERSION}.jar`))) {
    rmSync(libDir, { recursive: true, force: true });
    throw new TestbedError('MAVEN_FAILED', `Maven did not produce cassandra-all-${CASSANDRA_VERSION}.jar:\n${output.slice(-2000)}`, {
      hint: 'check that Maven Central is reachable (mvn dependency:get -Dartifact=org.apache.cassandra:cassandra-all:' + CASSANDRA_VERSION + ') and run the command again',
      retryable: true,
    });
  }
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, `${new Date().toISOString()} ${jarCount} jars\n`);
  return { libDir, jarCount, downloaded: true };
}

function countJars(libDir: string): number {
  return readdirSync(libDir).filter((name) => name.endsWith('.jar')).length;
}

function runMaven(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => reject(new TestbedError('MAVEN_MISSING', `cannot run mvn: ${error.message}`, { hint: 'install Maven' })));
    // Maven may print an ERROR about system-scoped JMC entries and still succeed: the jar check decides.
    child.on('close', () => resolvePromise(output));
  });
}
