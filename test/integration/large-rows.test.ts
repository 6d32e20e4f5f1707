import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/observe/index.js';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

/**
 * Rows of about 1 MB with every setting at its default: pages get few rows (copyBufferBytes), the planner counts
 * what a task holds, and the run neither is refused nor outgrows its plan.
 */
let keyspace: string;
let db: TestDatabase;
let runDir: string;
const ROWS = 40;
const body = (id: number): string => createHash('sha256').update(String(id)).digest('hex').repeat(16_384);
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

beforeAll(async () => {
  keyspace = uniqueName('large');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
  await client.execute(`CREATE TABLE ${keyspace}.documents (id int PRIMARY KEY, body text)`);
  for (let id = 0; id < ROWS; id++) await client.execute(`INSERT INTO ${keyspace}.documents (id, body) VALUES (?, ?)`, [id, body(id)], { prepare: true });
  await client.shutdown();
  db = await createTestDatabase('large');
  runDir = mkdtempSync(join(tmpdir(), 'large-runs-'));
}, 120_000);
afterAll(async () => db?.close());

describe('rows of 1 MB', () => {
  it('migrate with the default settings: a few rows a page, within the planned memory, exact', async () => {
    const run = await runC2y(['migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'documents', '--consistency', 'ONE',
      '--target-hosts', db.hosts.join(','), '--database', db.database, '--run-dir', runDir, '--ui-port', '0', '--json']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.rows).toBe(ROWS);
    // copyBufferBytes = 1 GiB / 4 cores / 4 = 64 MiB for two pages of ~1 MiB rows.
    expect(report.planned.memoryPerTask.pageRows).toBeLessThanOrEqual(32);
    expect(report.planned.headroom).toBeGreaterThan(1);
    expect(report.executors.filter((executor) => executor.ready).every((executor) => executor.withinPlan), JSON.stringify(report.executors)).toBe(true);
    expect(run.stderr).toMatch(/"msg":"pages hold fewer rows than source.fetchSize"[^\n]*"fetchSize":5000/);
    const rows = await db.query<{ id: number; body: string }>('SELECT id, md5(body) AS body FROM public.documents ORDER BY id');
    expect(rows.rows).toEqual(Array.from({ length: ROWS }, (_, id) => ({ id, body: md5(body(id)) })));
  }, 180_000);
});
