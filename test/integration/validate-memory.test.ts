import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/** A million rows (the size): 1,000 partitions of 1,000 rows, loaded in same-partition batches. */
const PARTITIONS = 1000;
const PER_PARTITION = 1000;
const ROWS = PARTITIONS * PER_PARTITION;
const EXECUTOR_MIB = 192;

let keyspace: string;
let db: TestDatabase;
let runDir: string;

beforeAll(async () => {
  keyspace = uniqueName('valmem');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
  await client.execute(`CREATE TABLE ${keyspace}.kv (p int, c int, v text, PRIMARY KEY ((p), c))`);
  const insert = `INSERT INTO ${keyspace}.kv (p, c, v) VALUES (?, ?, ?)`;
  const batches: Array<Promise<unknown>> = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (let start = 0; start < PER_PARTITION; start += 250) {
      const queries = Array.from({ length: 250 }, (_, i) => ({ query: insert, params: [p, start + i, `value ${p}/${start + i}`] }));
      batches.push(client.batch(queries, { prepare: true, logged: false }));
    }
    if (batches.length >= 32) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
  await client.shutdown();
  db = await createTestDatabase('valmem');
  await db.query('CREATE TABLE public.kv (p integer, c integer, v text, PRIMARY KEY (p, c))');
  runDir = mkdtempSync(join(tmpdir(), 'valmem-runs-'));
}, 600_000);
afterAll(async () => db?.close());

describe('validate\'s drill-down memory', () => {
  it(`names all ${ROWS.toLocaleString('en-US')} rows missing from an empty target in rounds, each executor within ${EXECUTOR_MIB} MiB`, async () => {
    const run = await runC2y([
      'validate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'kv', '--target-hosts', db.hosts.join(','),
      '--database', db.database, '--run-dir', runDir, '--json', '--executor-memory', `${EXECUTOR_MIB}m`, '--executors', '2', '--cores', '2',
      '--set', 'source.consistency=ONE',
    ]);
    expect(run.stderr).not.toMatch(/VALIDATE_FAILED|out of memory|EXECUTOR_CRASHED/i);
    expect(run.code, run.stderr.slice(-1500)).toBe(4);
    expect(run.stderr).toMatch(new RegExp(`"code":"ROWS_DIFFER","message":"${ROWS} row\\(s\\) differ`));
    const summary = JSON.parse(run.stdout) as { differences: number; drillDownRounds: number; executorPeakRssBytes: number; diffFile: string };
    expect(summary.differences).toBe(ROWS);
    expect(summary.drillDownRounds).toBeGreaterThan(1);
    let lines = 0;
    const text = readFileSync(summary.diffFile, 'utf8');
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
    expect(lines).toBe(ROWS);
    // The heap limit is enforced (an executor past it dies); RSS adds Node's own ~60 MiB and the young generation.
    console.log(`validate drill-down: ${summary.drillDownRounds} rounds, executor peak RSS ${(summary.executorPeakRssBytes / 2 ** 20).toFixed(0)} MiB at --executor-memory ${EXECUTOR_MIB}m`);
    expect(summary.executorPeakRssBytes).toBeGreaterThan(0);
    expect(summary.executorPeakRssBytes).toBeLessThan((EXECUTOR_MIB + 128) * 2 ** 20);
  }, 900_000);
});
