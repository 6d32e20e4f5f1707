import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runC2y } from '../helpers/run-cli.js';
import { RING, cassandraClient, createTestDatabase, uniqueName, type TestDatabase } from '../helpers/servers.js';

interface Summary { differences: number; rejectedByRun: number; diffFile: string }
interface Difference { kind: string; key: Record<string, string>; reason?: string; columns?: Array<{ column: string; source: string; target: string }> }

let keyspace: string;
let db: TestDatabase;
let runDir: string;

beforeAll(async () => {
  keyspace = uniqueName('valx');
  const client = await cassandraClient();
  await client.execute(`CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}`);
  await client.execute(`CREATE TABLE ${keyspace}.notes (part int, id int, owner text STATIC, note text, PRIMARY KEY ((part), id))`);
  for (let part = 0; part < 12; part++) {
    await client.execute(`INSERT INTO ${keyspace}.notes (part, owner) VALUES (?, ?)`, [part, `o${part}`], { prepare: true });
    // Partition 11 holds only static cells; row (3, 2) has a NUL PostgreSQL text cannot hold; row (4, 1) is the text '∅'.
    if (part === 11) continue;
    for (let id = 0; id < 4; id++) {
      const note = part === 3 && id === 2 ? 'bad\u0000note' : part === 4 && id === 1 ? '∅' : `n${part}.${id}`;
      await client.execute(`INSERT INTO ${keyspace}.notes (part, id, note) VALUES (?, ?, ?)`, [part, id, note], { prepare: true });
    }
  }
  await client.shutdown();
  db = await createTestDatabase('valx');
  // No primary key, so a duplicate can be made by hand.
  await db.query('CREATE TABLE public.notes (part integer NOT NULL, id integer NOT NULL, owner text, note text)');
  runDir = mkdtempSync(join(tmpdir(), 'valx-runs-'));
  const migrated = await runC2y([
    'migrate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'notes', '--target-hosts', db.hosts.join(','),
    '--database', db.database, '--run-dir', runDir, '--set', 'onError=reject', '--set', 'target.createTable=false', '--split-size-mb', '0.01',
  ]);
  expect(migrated.code, migrated.stderr.slice(-2000)).toBe(1);
});
afterAll(async () => db?.close());

async function validate(): Promise<{ code: number | null; stderr: string; summary: Summary; diff: Difference[] }> {
  const run = await runC2y([
    'validate', '--contact-points', RING.join(','), '--keyspace', keyspace, '--table', 'notes', '--target-hosts', db.hosts.join(','),
    '--database', db.database, '--run-dir', runDir, '--buckets', '16', '--json',
  ]);
  expect(run.stderr).not.toContain('VALIDATE_FAILED');
  const summary = JSON.parse(run.stdout) as Summary;
  const diff = readFileSync(summary.diffFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Difference);
  return { code: run.code, stderr: run.stderr, summary, diff };
}

describe('validate after onError: reject and static-only partitions', () => {
  it('reports the run\'s rejected rows as rejected with their reasons, not as missing and not as a crash', async () => {
    const result = await validate();
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.summary).toMatchObject({ differences: 0, rejectedByRun: 2 });
    const rejected = result.diff.filter((d) => d.kind === 'rejected').sort((a, b) => Number(a.key['part']) - Number(b.key['part']));
    expect(rejected).toHaveLength(2);
    expect(rejected[0]!.key).toMatchObject({ part: '3', id: '2' });
    expect(rejected[0]!.reason).toMatch(/U\+0000/);
    expect(rejected[1]!.key['part']).toBe('11');
    expect(rejected[1]!.reason).toMatch(/only static cells/);
  });
});

describe('differences that must not exit 0', () => {
  it('a NULL where the source holds the text "∅" is a difference', async () => {
    await db.query('UPDATE public.notes SET note = NULL WHERE part = 4 AND id = 1');
    const result = await validate();
    expect(result.code).toBe(4);
    const different = result.diff.filter((d) => d.kind === 'different');
    expect(different).toHaveLength(1);
    expect(different[0]).toMatchObject({ key: { part: '4', id: '1' }, columns: [{ column: 'note', target: 'NULL' }] });
    await db.query(`UPDATE public.notes SET note = '∅' WHERE part = 4 AND id = 1`);
  });

  it('a key the target holds twice is named as a duplicate', async () => {
    await db.query('INSERT INTO public.notes SELECT * FROM public.notes WHERE part = 7 AND id = 3');
    const result = await validate();
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('ROWS_DIFFER');
    expect(result.diff.filter((d) => d.kind === 'duplicate').map((d) => d.key)).toEqual([{ part: '7', id: '3' }]);
  });
});
