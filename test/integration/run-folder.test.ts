import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { committedRows, until } from '../helpers/wait.js';
import { runC2y, spawnC2y } from '../helpers/run-cli.js';

let fx: MigrateFixture;
const ROWS = 60_000;
let mountPoint: string;

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'disk');
  // A real small filesystem that the test fills: ENOSPC as production meets it.
  mountPoint = mkdtempSync(join(tmpdir(), 'c2y-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mount.status !== 0) throw new Error(`this test mounts a 1 MiB tmpfs and needs root: ${mount.stderr}`);
}, 180_000);
afterAll(async () => {
  spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
  await fx?.close();
});

const rowsIn = (table: string): Promise<number> => fx.rowsIn(table);

/** Writes zeros until the filesystem refuses: the disk is now full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
}

describe('run folder', () => {
  it('unwritable: a clear error before any row moves, and no run is recorded', async () => {
    const notAFolder = join(mkdtempSync(join(tmpdir(), 'c2y-file-')), 'plain-file');
    writeFileSync(notAFolder, 'x');
    const run = await runC2y(fx.args('unwritable', ['--run-dir', join(notAFolder, 'runs')]));
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('RUN_FOLDER_UNWRITABLE');
    expect(run.stderr).toContain('nothing was migrated');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const runs = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM c2y.runs WHERE target LIKE '%.unwritable'`).catch(() => ({ rows: [{ n: 0 }] }));
    expect(runs.rows[0]?.n).toBe(0);
  });

  it('disk full mid-run: a clear stop, checkpoints match the rows committed, and --resume after freeing space is exact', async () => {
    const runDir = join(mountPoint, 'runs');
    mkdirSync(runDir);
    // Paced, so the disk fills mid-run however fast the machine moves rows.
    const args = fx.args('full', ['--run-dir', runDir, '--split-size-mb', '0.2', '--parallelism', '8', '--executors', '2', '--cores', '2', '--copy-flush-every', '200', '--ui-port', '0', '--set', 'source.fetchSize=500', '--set', `target.rowsPerSecond=${Math.ceil(ROWS / 4)}`]);
    const run = spawnC2y(args);
    await until('rows committed', async () => (await committedRows(fx.db, 'full')) > 0);
    const filler = join(mountPoint, 'filler');
    fillDisk(filler);
    const result = await run.result;
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/RUN_FOLDER_UNWRITABLE: writing \S+ failed: .*ENOSPC/);
    expect(result.stderr).toContain('--resume');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // No partial checkpoint: what the checkpoints say was committed is exactly what the table holds.
    const committed = await committedRows(fx.db, 'full');
    expect(await rowsIn('full')).toBe(committed);

    rmSync(filler);
    const resumeArgs = [...args, '--resume', '--json'];
    const resumed = await runC2y(resumeArgs);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'finished', resumed: true, rowsTotal: ROWS });
    expect(await postgresEventsDigest(fx.db, 'full')).toEqual(fx.sourceDigest);
  }, 180_000);
});
