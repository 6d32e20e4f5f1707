import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cassandraStatus, startCassandra, startPostgres, stopCassandra, stopPostgres, postgresRunning } from '../../src/testbed/index.js';

const RING_NODES = 3;
const log = (line: string): void => console.log(`[testbed] ${line}`);

/** One ring and one PostgreSQL for the whole run; each test makes its own keyspace or database. */
export default async function setup(): Promise<() => Promise<void>> {
  if (!existsSync('dist/cli/main.js')) execFileSync('npx', ['tsc', '-p', '.'], { stdio: 'inherit' });
  const runningBefore = (await cassandraStatus(3)).filter((node) => node.pid !== undefined).length;
  const pgBefore = postgresRunning();
  const ring = await startCassandra({ nodes: RING_NODES, log });
  log(`ring of ${RING_NODES} ready in ${ring.seconds.toFixed(1)} s`);
  startPostgres(log);
  return async () => {
    // Leave what the developer had running; stop what this run started.
    if (runningBefore === 0) await stopCassandra(log);
    if (!pgBefore) stopPostgres(log);
  };
}
