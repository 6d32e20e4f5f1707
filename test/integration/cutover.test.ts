import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CassandraClient } from '../../src/source/index.js';
import { cassandraEventsDigest, postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { spawn } from 'node:child_process';
import { C2Y_BIN, runC2y } from '../helpers/run-cli.js';
import { cassandraClient } from '../helpers/servers.js';

/**
 * The scan path end to end on the 3-node ring: a writer updates, inserts and deletes (rows and partitions, cells with
 * a TTL) while the bulk copy and a catch-up pass run; cutover is refused until a catch-up pass measured the freeze and
 * while that freeze is longer than allowed; once writes stop, cutover's final pass leaves the target exact and says
 * "switch" with the freeze's seconds.
 */
let fx: MigrateFixture;
let cql: CassandraClient;
const ROWS = 3000;
const SMALL = ['--split-size-mb', '0.05', '--copy-flush-every', '200', '--parallelism', '4', '--executors', '1', '--cores', '2'];
const command = (name: string, extra: readonly string[]): string[] => [name, ...fx.args('switched', [...SMALL, ...extra]).slice(1)];

interface Key { readonly tenant_id: number; readonly bucket: number; readonly event_time: Date; readonly event_id: unknown }

/** Writes of every kind, a few hundred a second, until stopped; returns how many it made. */
function startWriter(keys: readonly Key[]): { stop: () => Promise<number> } {
  let running = true;
  let writes = 0;
  const where = 'WHERE tenant_id = ? AND bucket = ? AND event_time = ? AND event_id = ?';
  const at = (key: Key): unknown[] => [key.tenant_id, key.bucket, key.event_time, key.event_id];
  const loop = (async (): Promise<void> => {
    for (let i = 0; running; i++) {
      const key = keys[(i * 7919) % keys.length] as Key;
      const kind = i % 6;
      const table = `${fx.keyspace}.events`;
      if (kind === 0) await cql.execute(`UPDATE ${table} SET kind = ? ${where}`, [`w${i}`, ...at(key)], { prepare: true });
      else if (kind === 1) await cql.execute(`INSERT INTO ${table} (tenant_id, bucket, event_time, event_id, kind, tags) VALUES (?, ?, ?, now(), 'new', {'x'})`, [800_000 + (i % 50), i % 4, new Date(Date.UTC(2025, 1, 1, 0, 0, i % 600))], { prepare: true });
      else if (kind === 2) await cql.execute(`DELETE FROM ${table} ${where}`, at(key), { prepare: true });
      else if (kind === 3) await cql.execute(`UPDATE ${table} SET tags = tags + {'w'} ${where}`, at(key), { prepare: true });
      else if (kind === 4) await cql.execute(`UPDATE ${table} USING TTL 2 SET payload = 'brief' ${where}`, at(key), { prepare: true });
      else if (i % 60 === 5) await cql.execute(`DELETE FROM ${table} WHERE tenant_id = ? AND bucket = ?`, [800_000 + (i % 50), i % 4], { prepare: true });
      writes++;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return writes;
    },
  };
}

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'cutover');
  cql = await cassandraClient();
});
afterAll(async () => {
  await cql?.shutdown();
  await fx?.close();
});

/** Runs c2y on a pseudo-terminal (script -e returns its exit code) and types `keys` once `prompt` shows. */
async function onTerminal(args: readonly string[], prompt: string, keys: string): Promise<{ code: number | null; output: string }> {
  const line = [process.execPath, C2Y_BIN, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let typed = false;
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (!typed && output.includes(prompt)) {
      typed = true;
      child.stdin.write(keys);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

describe('c2y cutover (by scan)', () => {
  it('is refused until a pass is short enough, then freezes, catches up and says switch with an exact target', async () => {
    const keys = (await cql.execute(`SELECT tenant_id, bucket, event_time, event_id FROM ${fx.keyspace}.events LIMIT 600`)).rows
      .map((row) => ({ tenant_id: row['tenant_id'] as number, bucket: row['bucket'] as number, event_time: row['event_time'] as Date, event_id: row['event_id'] }));
    const writer = startWriter(keys);
    try {
      const bulk = await runC2y(['migrate', ...fx.args('switched', SMALL).slice(1)]);
      expect(bulk.code).toBe(0);
      const early = await runC2y(command('cutover', ['--frozen']));
      expect(early.code).toBe(2);
      expect(early.stderr).toMatch(/CUTOVER_NOT_READY.*not a catch-up pass.*run c2y catchup first/s);
      // Written meanwhile: the pass may end with rows written while it read (exit 4) or exact (0).
      const pass = await runC2y(command('catchup', []));
      expect([0, 4]).toContain(pass.code);
      expect(pass.stdout).toMatch(/catch-up pass: scan [\d.]+ s: [\d,]+ row\(s\) written since/);
    } finally {
      expect(await writer.stop()).toBeGreaterThan(100);
    }

    const tooLong = await runC2y(command('cutover', ['--frozen', '--max-freeze-seconds', '0.001']));
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/CUTOVER_NOT_READY.*took [\d.]+ s, more than the 0.001 s freeze allowed/s);
    const unconfirmed = await runC2y(command('cutover', ['--max-freeze-seconds', '600']));
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/no terminal to confirm the freeze.*--frozen/s);
    // On a terminal (a pty from script(1)), Ctrl-C at the freeze prompt cancels: exit 130, no pass ran. (Before, a
    // terminal gave the Ctrl-C to readline, and the prompt went on waiting.)
    const prompted = await onTerminal(command('cutover', ['--max-freeze-seconds', '600']), 'FREEZE WRITES NOW', '\x03');
    expect(prompted.code, prompted.output).toBe(130);
    expect(prompted.output).toContain('cut-over cancelled before the freeze: no pass ran and nothing changed');
    expect(prompted.output).not.toContain('catch-up pass:');

    // The TTL'd cells of the last writes expire during the freeze's pass or before it: wait them out.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const cut = await runC2y(command('cutover', ['--frozen', '--max-freeze-seconds', '600', '--json']));
    expect(cut.stderr).toMatch(/writes are frozen \(--frozen\); the final pass starts/);
    expect(cut.code).toBe(0);
    const outcome = JSON.parse(cut.stdout) as { switch: boolean; freezeSeconds: number; lastPassSeconds: number; validate: { afterRepair: { differences: number } | null; differences: number } };
    expect(outcome.switch).toBe(true);
    expect(outcome.freezeSeconds).toBeGreaterThan(0);
    expect(outcome.freezeSeconds).toBeLessThan(120);
    expect(outcome.validate.afterRepair?.differences ?? outcome.validate.differences).toBe(0);
    expect(await postgresEventsDigest(fx.db, 'switched')).toEqual(await cassandraEventsDigest(cql, fx.keyspace));
  });
});
