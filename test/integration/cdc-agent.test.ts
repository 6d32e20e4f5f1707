import cassandra from 'cassandra-driver';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startCdcCassandra } from '../../src/testbed/index.js';
import { cdcNodeFixture, type CdcNodeFixture } from '../helpers/cdc-node.js';
import { runC2y, spawnC2y } from '../helpers/run-cli.js';

/**
 * The CDC agent on a real node with cdc_enabled (its own one-node cluster, commit log synced every second): every
 * kind of change a writer makes comes out once, in log order, decoded by the table's types, with positions to resume
 * from; and each way it can be misused is refused with a typed error.
 */
const KEYSPACE = `cdc_${Date.now().toString(36)}`;
let node: Awaited<ReturnType<typeof startCdcCassandra>>;
let client: cassandra.Client;
let fixture: CdcNodeFixture;

interface Decoded { type: string; at?: string; key?: string[]; partitionDeletedAt?: number; ranges?: Array<{ start: { inclusive: boolean; values: string[] }; end: { inclusive: boolean; values: string[] } }>; rows?: Array<{ clustering: string[]; static: boolean; deletedAt?: number; writtenAt?: number; cells: Array<{ column: string; element?: string; value?: string; deleted?: true; ttl?: number; clearedAt?: number }> }> }

function agentArgs(table: string, extra: string[] = []): string[] {
  return ['cdc', 'agent', '--contact-points', node.address, '--keyspace', KEYSPACE, '--table', table, '--yaml', node.yaml, '--lib', node.libDir, ...extra];
}

function linesOf(stdout: string): Decoded[] {
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Decoded);
}

/** The agent, without --follow, until it has printed `count` changes (the log is synced every second). */
async function changesOnceSynced(table: string, count: number, extra: string[] = []): Promise<Decoded[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await runC2y(agentArgs(table, ['--decode', ...extra]));
    expect(run.code, run.stderr).toBe(0);
    const changes = linesOf(run.stdout).filter((line) => line.type === 'change');
    if (changes.length >= count || Date.now() > deadline) return changes;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  fixture = await cdcNodeFixture(KEYSPACE);
  ({ node, client } = fixture);
  await client.execute(`CREATE TYPE ${KEYSPACE}.addr (street text, zip int)`);
}, 240_000);

afterAll(async () => {
  await fixture?.close();
}, 60_000);

describe('c2y cdc agent', () => {
  it('prints every kind of change once, in log order, decoded, and resumes after a position', async () => {
    // Names that trip object-key and CQL logic: a quoted, case-sensitive table, columns `values` and "2".
    await client.execute(`CREATE TABLE ${KEYSPACE}."Orders" (id int, region text, seq int, "values" text, "2" int, tags set<text>, attrs map<text, int>, a frozen<addr>, s text static, PRIMARY KEY ((id, region), seq)) WITH cdc = true`);
    const table = `${KEYSPACE}."Orders"`;
    // More than two 1 MiB segments of writes to a table without CDC first: at least one segment closes with no CDC data
    // and so never gets a _cdc.idx. The agent must go on past it (it once waited there for good).
    await client.execute(`CREATE TABLE ${KEYSPACE}.filler (id int PRIMARY KEY, v text)`);
    const filler = 'f'.repeat(4096);
    for (let i = 0; i < 700; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => client.execute(`INSERT INTO ${KEYSPACE}.filler (id, v) VALUES (?, ?)`, [i + k, filler], { prepare: true })));
    const writes = [
      `INSERT INTO ${table} (id, region, seq, "values", "2", tags, attrs, a, s) VALUES (1, 'eu', 1, 'first', 2, {'x', 'y'}, {'k': 1}, {street: 'Main', zip: 8001}, 'st')`,
      `UPDATE ${table} USING TTL 3600 SET "values" = 'second' WHERE id = 1 AND region = 'eu' AND seq = 2`,
      `UPDATE ${table} SET tags = tags + {'z'}, attrs['q'] = 7 WHERE id = 1 AND region = 'eu' AND seq = 1`,
      `DELETE "values" FROM ${table} WHERE id = 1 AND region = 'eu' AND seq = 1`,
      `DELETE FROM ${table} WHERE id = 1 AND region = 'eu' AND seq = 2`,
      `DELETE FROM ${table} WHERE id = 2 AND region = 'us' AND seq > 5`,
      `DELETE FROM ${table} WHERE id = 3 AND region = 'ap'`,
    ];
    for (const write of writes) await client.execute(write);
    const changes = await changesOnceSynced('Orders', writes.length);
    expect(changes).toHaveLength(writes.length);
    const [insert, ttl, added, cellDeleted, rowDeleted, range, partition] = changes as [Decoded, Decoded, Decoded, Decoded, Decoded, Decoded, Decoded];
    expect(insert.key).toEqual(['1', '"eu"']);
    expect(insert.rows?.find((row) => row.static)?.cells).toEqual([expect.objectContaining({ column: 's', value: '"st"' })]);
    const inserted = insert.rows?.find((row) => !row.static);
    expect(inserted?.clustering).toEqual(['1']);
    expect(inserted?.writtenAt).toBeGreaterThan(0);
    expect(inserted?.cells).toEqual(expect.arrayContaining([
      expect.objectContaining({ column: 'values', value: '"first"' }), expect.objectContaining({ column: '2', value: '2' }),
      expect.objectContaining({ column: 'a', value: '{"street"="Main","zip"=8001}' }),
      expect.objectContaining({ column: 'tags', element: '"x"' }), expect.objectContaining({ column: 'attrs', element: '"k"', value: '1' }),
      // A collection written whole clears what it held before.
      expect.objectContaining({ column: 'tags', clearedAt: expect.any(Number) as number }),
    ]));
    expect(ttl.rows?.[0]?.cells[0]).toMatchObject({ column: 'values', value: '"second"', ttl: 3600 });
    expect(added.rows?.[0]?.cells).toEqual(expect.arrayContaining([expect.objectContaining({ column: 'tags', element: '"z"' }), expect.objectContaining({ column: 'attrs', element: '"q"', value: '7' })]));
    expect(cellDeleted.rows?.[0]?.cells[0]).toMatchObject({ column: 'values', deleted: true });
    expect(rowDeleted.rows?.[0]).toMatchObject({ clustering: ['2'], deletedAt: expect.any(Number) as number });
    expect(range).toMatchObject({ key: ['2', '"us"'], ranges: [{ start: { inclusive: false, values: ['5'] }, end: { inclusive: true, values: [] } }] });
    expect(partition).toMatchObject({ key: ['3', '"ap"'], partitionDeletedAt: expect.any(Number) as number });
    // Log order: positions only grow.
    const positions = changes.map((change) => change.at as string);
    expect([...positions].sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]) || Number(a.split(':')[1]) - Number(b.split(':')[1]))).toEqual(positions);
    // From the third change's position on: the fourth and later, nothing twice.
    const after = await changesOnceSynced('Orders', 4, ['--from', positions[2] as string]);
    expect(after.map((change) => change.at)).toEqual(positions.slice(3));
  });

  it('--follow streams changes as they are written; Ctrl-C says where to continue', async () => {
    await client.execute(`CREATE TABLE ${KEYSPACE}.live (id int PRIMARY KEY, v text) WITH cdc = true`);
    const { child, result, stdoutSoFar } = spawnC2y(agentArgs('live', ['--follow', '--decode', '--poll-ms', '200']));
    const seen = async (value: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!stdoutSoFar().includes(value)) {
        if (Date.now() > deadline) throw new Error(`${value} did not arrive: ${stdoutSoFar()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await client.execute(`INSERT INTO ${KEYSPACE}.live (id, v) VALUES (1, 'one')`);
    await seen('one');
    await client.execute(`INSERT INTO ${KEYSPACE}.live (id, v) VALUES (2, 'two')`);
    await seen('two');
    child.kill('SIGINT');
    const run = await result;
    expect(run.code).toBe(130);
    const last = linesOf(run.stdout).filter((line) => line.type === 'change').pop();
    expect(run.stderr).toContain(`--from ${last?.at ?? '?'}`);
    // A column added while the agent reads: it stops, typed, skipping nothing; started again from its last position, it
    // loads the schema as it is now and reads the change.
    const following = spawnC2y(agentArgs('live', ['--follow', '--decode', '--poll-ms', '200', '--from', last?.at ?? '']));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await client.execute(`ALTER TABLE ${KEYSPACE}.live ADD added text`);
    await client.execute(`INSERT INTO ${KEYSPACE}.live (id, v, added) VALUES (3, 'three', 'new column')`);
    const stopped = await following.result;
    expect(stopped.code, stopped.stderr).toBe(5);
    expect(stopped.stderr).toContain('SOURCE_SCHEMA_CHANGED');
    expect(stopped.stderr).toContain('column added');
    expect(linesOf(stopped.stdout).filter((line) => line.type === 'change')).toHaveLength(0);
    const again = await changesOnceSynced('live', 1, ['--from', last?.at ?? '']);
    // kill -9 of c2y: its agent (a java process) exits too, rather than read the log for no one.
    const orphan = spawnC2y(agentArgs('live', ['--follow', '--poll-ms', '200']));
    const agentPids = (): string => {
      try {
        return execFileSync('pgrep', ['-f', `C2yCdcAgent.*--tables ${KEYSPACE}.live`], { encoding: 'utf8' }).trim();
      } catch {
        return '';
      }
    };
    const deadline = Date.now() + 20_000;
    while (agentPids() === '' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(agentPids()).not.toBe('');
    // c2y alone, not its process group: the agent must notice by itself.
    process.kill(orphan.child.pid as number, 'SIGKILL');
    const gone = Date.now() + 10_000;
    while (agentPids() !== '' && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(agentPids()).toBe('');
    expect(again[0]?.rows?.[0]?.cells).toEqual(expect.arrayContaining([expect.objectContaining({ column: 'added', value: '"new column"' })]));
  });

  it('refuses a table without CDC, naming what to run, and --enable-cdc turns it on', async () => {
    await client.execute(`CREATE TABLE ${KEYSPACE}.plain (id int PRIMARY KEY, v text)`);
    const refused = await runC2y(agentArgs('plain'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CDC_NOT_ENABLED');
    expect(refused.stderr).toContain(`ALTER TABLE "${KEYSPACE}"."plain" WITH cdc = true`);
    const enabled = await runC2y(agentArgs('plain', ['--enable-cdc']));
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stderr).toContain(`CDC enabled on ${KEYSPACE}.plain`);
    const row = (await client.execute('SELECT cdc FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [KEYSPACE, 'plain'])).first();
    expect(row?.['cdc']).toBe(true);
  });

  it('refuses jars of another Cassandra version, a lib folder without Cassandra, and an unreadable cdc_raw', async () => {
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.live (id int PRIMARY KEY, v text) WITH cdc = true`);
    // A setting the agent cannot honour is refused, not ignored.
    const unknown = await runC2y(agentArgs('live', ['--parallelism', '8']));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--parallelism'");
    const dir = mkdtempSync(join(tmpdir(), 'c2y-cdc-bad-'));
    const otherLib = join(dir, 'lib-4.1');
    writeFileSync(join(dir, 'placeholder'), '');
    mkdirSync(otherLib);
    symlinkSync(join(node.libDir, 'cassandra-all-5.0.8.jar'), join(otherLib, 'cassandra-all-4.1.9.jar'));
    const version = await runC2y(['cdc', 'agent', '--contact-points', node.address, '--keyspace', KEYSPACE, '--table', 'live', '--yaml', node.yaml, '--lib', otherLib]);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('CDC_VERSION_MISMATCH');
    expect(version.stderr).toContain('Cassandra 5.0.8, but the jars');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const noJar = await runC2y(['cdc', 'agent', '--contact-points', node.address, '--keyspace', KEYSPACE, '--table', 'live', '--yaml', node.yaml, '--lib', empty]);
    expect(noJar.code).toBe(2);
    expect(noJar.stderr).toContain(`no Cassandra jar`);
    const yaml = join(dir, 'cassandra.yaml');
    // A file where the folder should be (a missing folder, Cassandra's own start-up code creates).
    writeFileSync(yaml, readFileSync(node.yaml, 'utf8').replace(/^cdc_raw_directory: .*$/m, `cdc_raw_directory: ${join(dir, 'placeholder')}`));
    const unreadable = await runC2y(agentArgs('live').map((arg) => (arg === node.yaml ? yaml : arg)));
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('CDC_RAW_UNREADABLE');
    expect(unreadable.stderr).toContain(join(dir, 'placeholder'));
    // Resuming inside a segment cdc_raw no longer holds: its later changes would be lost, so it is refused.
    const gone = await runC2y(agentArgs('live', ['--from', '12345:100']));
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('CDC_SEGMENT_UNREADABLE');
    expect(gone.stderr).toContain('segment 12345 of --from');
    // cdc_raw near its cdc_total_space: warned, with what happens at full.
    writeFileSync(yaml, `${readFileSync(node.yaml, 'utf8').replace(/^cdc_total_space: .*$/m, 'cdc_total_space: 1MiB')}`);
    const full = await runC2y(agentArgs('live').map((arg) => (arg === node.yaml ? yaml : arg)));
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/warning: cdc_raw holds [\d.]+ MiB of its 1\.0 MiB \(cdc_total_space, \d+ %\): at full, Cassandra refuses writes to CDC tables/);
    // A node without cdc_enabled writes nothing to cdc_raw: refused, saying so.
    writeFileSync(yaml, readFileSync(node.yaml, 'utf8').replace(/^cdc_enabled: true$/m, 'cdc_enabled: false'));
    const off = await runC2y(agentArgs('live').map((arg) => (arg === node.yaml ? yaml : arg)));
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('CDC_NOT_ENABLED: cdc_enabled is not true');
    // An empty cdc_raw: nothing to read yet, and a position to start from.
    writeFileSync(yaml, readFileSync(node.yaml, 'utf8').replace(/^cdc_raw_directory: .*$/m, `cdc_raw_directory: ${empty}`));
    const nothing = await runC2y(agentArgs('live').map((arg) => (arg === node.yaml ? yaml : arg)));
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(linesOf(nothing.stdout).pop()).toMatchObject({ type: 'caught-up', segment: 0, position: 0 });
  });
});
