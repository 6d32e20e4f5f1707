import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distributedStatus, redisKeys, type SplitJobData, type SplitJobResult } from '../../src/distributed/index.js';
import type { RunReport } from '../../src/observe/index.js';
import { createWorkerNamespaces, inNamespace, removeWorkerNamespaces, startTestbedRedis, type TestbedRedis, type WorkerNamespace } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { C2Y_BIN, killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { committedRows, until } from '../helpers/wait.js';

/** A worker on its own "machine": a process group inside a network namespace. */
interface WorkerProcess {
  readonly name: string;
  readonly namespace: WorkerNamespace;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  log(): string;
}

let fx: MigrateFixture;
let redis: TestbedRedis;
let namespaces: WorkerNamespace[];
const workers: WorkerProcess[] = [];

function startWorker(namespace: WorkerNamespace, name: string): WorkerProcess {
  const argv = inNamespace(namespace, process.execPath, [C2Y_BIN, 'worker', '--redis', redis.url, '--cores', '2', '--name', name, '--json']);
  const child = spawn(argv.command, argv.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const worker = { name, namespace, child, exited, log: () => log };
  workers.push(worker);
  return worker;
}

/** Client addresses of this run's task connections, as PostgreSQL sees them. */
async function taskClientAddresses(runId: string | undefined): Promise<string[]> {
  const result = await fx.db.query<{ addr: string | null }>(`SELECT host(client_addr) AS addr FROM pg_stat_activity WHERE application_name LIKE $1`, [`c2y ${runId ?? ''}% split %`]);
  return result.rows.map((row) => row.addr ?? 'local socket');
}

/** `--resume` of a run ends finished, with every source row in `table`, exactly. */
async function resumeExactly(args: readonly string[], runId: string, table: string): Promise<void> {
  const resumed = await runC2y([...args, '--resume', runId]);
  expect(resumed.code, resumed.stderr.slice(-1500)).toBe(0);
  const after = JSON.parse(resumed.stdout) as RunReport;
  expect(after.status).toBe('finished');
  expect(after.rowsTotal).toBe(fx.rows);
  expect(await postgresEventsDigest(fx.db, table)).toEqual(fx.sourceDigest);
}

beforeAll(async () => {
  fx = await migrateFixture(30_000, 'dist');
  redis = await startTestbedRedis();
  namespaces = createWorkerNamespaces(3);
}, 300_000);

afterAll(async () => {
  for (const worker of workers) killGroup(worker.child);
  // The workers' own logs, for a failure's diagnosis (test-artifacts/ is gitignored).
  mkdirSync('test-artifacts', { recursive: true });
  for (const worker of workers) writeFileSync(join('test-artifacts', `distributed-${worker.name}-${worker.child.pid ?? 0}.log`), worker.log());
  await redis?.stop();
  removeWorkerNamespaces();
  await fx?.close();
});

describe('distributed: one migration on three "machines" through BullMQ on Redis', () => {
  it('survives kill -9 of one worker\'s process group: its splits are finished by the others, exactly once', async () => {
    const started = namespaces.map((namespace) => startWorker(namespace, `w${namespace.index}`));
    const victim = started[1] as WorkerProcess;
    const driver = spawnC2y(fx.args('events_dist', [
      '--distributed', '--redis', redis.url, '--parallelism', '12', '--split-size-mb', '0.25', '--copy-flush-every', '250',
      '--set', 'workerLeaseMs=3000', '--set', 'target.maxConnectionsPerNode=1', '--ui-port', '0', '--json',
    ]));
    const leaseReader = new Redis(redis.url);
    let mostTaskConnections = 0;
    let mostLeasesOnANode = 0;

    // Mid-run: rows committed, the victim holds splits. Meanwhile the task connections are seen coming from the namespaces.
    let runId: string | undefined;
    const clientAddresses = new Set<string>();
    let victimSplits: number[] = [];
    await until('the victim worker to be mid-split with rows committed', async () => {
      runId ??= /"runId":"([^"]+)"/.exec(driver.stderrSoFar())?.[1];
      if (!runId) return false;
      const addresses = await taskClientAddresses(runId);
      for (const address of addresses) clientAddresses.add(address);
      mostTaskConnections = Math.max(mostTaskConnections, addresses.length);
      for (const host of fx.db.hosts) mostLeasesOnANode = Math.max(mostLeasesOnANode, await leaseReader.zcount(redisKeys.leaseKey(runId, host), Date.now(), '+inf'));
      const status = await distributedStatus(redis.url, { runId, limit: 1 });
      victimSplits = status.runs[0]?.active.filter((a) => a.worker === victim.name).map((a) => a.splitId) ?? [];
      // Strike once one of the victim's splits has committed part of its rows: the others must go on from there.
      const partial = await fx.db.query('SELECT 1 FROM c2y.checkpoints WHERE run_id = $1 AND split_id = ANY($2) AND rows_done > 0 AND NOT done', [runId, victimSplits]).catch(() => ({ rows: [] }));
      return partial.rows.length > 0;
    }, 120_000);
    const committedAtKill = await committedRows(fx.db, 'events_dist');
    killGroup(victim.child);
    await victim.exited;
    console.log(`killed ${victim.name} (${victim.namespace.address}) holding splits ${victimSplits.join(', ')} at ${committedAtKill} committed rows`);

    const result = await driver.result;
    leaseReader.disconnect();
    expect(result.stderr).not.toMatch(/unexpected error/);
    // The per-node cap (1) held across the three workers: at most one stream per node, three in all.
    console.log(`most task connections at once ${mostTaskConnections}, most leases on a node ${mostLeasesOnANode}`);
    expect(mostLeasesOnANode).toBe(1);
    expect(mostTaskConnections).toBeLessThanOrEqual(3);
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.status).toBe('finished');
    expect(report.rowsTotal).toBe(fx.rows);
    expect(await postgresEventsDigest(fx.db, 'events_dist')).toEqual(fx.sourceDigest);

    // Every task connection came from a namespace's own address: the workers, not the driver, moved the rows.
    expect([...clientAddresses].length).toBeGreaterThan(0);
    for (const address of clientAddresses) expect(namespaces.map((n) => n.address)).toContain(address);

    // The victim's splits were completed by the other workers, from their checkpoints.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue<SplitJobData, SplitJobResult>(redisKeys.splitQueueName(report.runId), { connection });
    try {
      for (const splitId of victimSplits) {
        const job = await queue.getJob(redisKeys.splitJobId(report.runId, splitId));
        expect(await job?.getState()).toBe('completed');
        expect(job?.returnvalue.worker).not.toBe(victim.name);
      }
    } finally {
      await queue.close();
      connection.disconnect();
    }

    // The report names each worker's executor and its rows; the survivors moved rows, and nothing is counted twice.
    const byWorker = new Map(report.executors.map((e) => [e.worker?.split(' ')[0] ?? '?', e.rows]));
    console.log(`rows by worker: ${[...byWorker].map(([w, r]) => `${w} ${r}`).join(', ')}; retries ${report.retries}; streams per node ${JSON.stringify(report.streamsPerNode)}`);
    // (The victim's last events may die with it; the checkpoints still count its rows, as rowsUnconfirmed.)
    expect(byWorker.get('w1')).toBeGreaterThan(0);
    expect(byWorker.get('w3')).toBeGreaterThan(0);
    expect([...byWorker.values()].reduce((a, b) => a + b, 0) + report.rowsUnconfirmed).toBe(report.rows);
    expect(Object.keys(report.streamsPerNode).sort()).toEqual(fx.db.hosts.slice().sort());

    // `c2y status` tells the same story.
    const status = await runC2y(['status', '--redis', redis.url, '--run', report.runId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('completed 12');
    expect(status.stdout).toMatch(/run job (completed|waiting)/);
    expect(status.stdout).toMatch(/w1 .*idle|w1 .*run/);
  }, 600_000);

  it('Ctrl-C on the driver interrupts the workers\' splits (rolled back, checkpoints kept); --resume finishes exactly', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(live.length).toBe(2);
    const args = fx.args('events_cancel', ['--distributed', '--redis', redis.url, '--parallelism', '8', '--split-size-mb', '0.25', '--copy-flush-every', '250', '--ui-port', '0', '--json']);
    const driver = spawnC2y(args);
    await until('rows committed by the workers', async () => (await committedRows(fx.db, 'events_cancel')) > 3000, 120_000);
    driver.child.kill('SIGINT');
    const interrupted = await driver.result;
    expect(interrupted.code, interrupted.stderr.slice(-1500)).toBe(130);
    const report = JSON.parse(interrupted.stdout) as RunReport;
    expect(report.status).toBe('interrupted');
    expect(report.splits.failed).toEqual([]);
    const status = await distributedStatus(redis.url, { runId: report.runId, limit: 1 });
    expect(status.runs[0]?.status).toBe('interrupted');
    expect(status.runs[0]?.splitStates['active']).toBe(0);
    // Nothing half-written: the table holds exactly what the checkpoints say.
    const inTable = Number((await fx.db.query<{ n: string }>('SELECT count(*)::text AS n FROM events_cancel')).rows[0]?.n);
    expect(inTable).toBe(await committedRows(fx.db, 'events_cancel'));
    expect(inTable).toBeLessThan(fx.rows);

    await resumeExactly(args, report.runId, 'events_cancel');
  }, 300_000);

  it('a split that keeps failing ends in the failed state, the report names it, and --resume finishes it', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(live.length).toBe(2);
    // The target refuses one partition's rows (a constraint the source does not have): that split fails every attempt.
    await fx.db.query('CREATE TABLE events_fail (LIKE events_dist INCLUDING ALL)');
    const victim = await fx.db.query<{ tenant_id: string; bucket: number }>('SELECT tenant_id::text, bucket FROM events_dist ORDER BY event_id LIMIT 1');
    const { tenant_id: tenant, bucket } = victim.rows[0] as { tenant_id: string; bucket: number };
    await fx.db.query(`ALTER TABLE events_fail ADD CONSTRAINT no_such_partition CHECK (NOT (tenant_id::text = '${tenant}' AND bucket = ${bucket}))`);
    const args = fx.args('events_fail', ['--distributed', '--redis', redis.url, '--parallelism', '6', '--split-size-mb', '0.25', '--set', 'maxRetries=1', '--set', 'retryBackoffMs=200', '--ui-port', '0', '--json']);
    const failedRun = spawnC2y(args);
    const failed = await Promise.race([failedRun.result, sleep(150_000).then(() => {
      killGroup(failedRun.child);
      throw new Error(`the driver did not end: ${failedRun.stderrSoFar().slice(-3000)}\nworkers: ${live.map((w) => w.log().slice(-1500)).join('\n')}`);
    })]);
    expect(failed.code, failed.stderr.slice(-1500)).toBe(1);
    const report = JSON.parse(failed.stdout) as RunReport;
    expect(report.status).toBe('failed');
    expect(report.splits.failed.length).toBe(1);
    expect(report.splits.failed[0]?.message).toContain('no_such_partition');
    expect(failed.stderr).toContain(`--resume ${report.runId}`);
    const status = await distributedStatus(redis.url, { runId: report.runId, limit: 1 });
    expect(status.runs[0]?.failed.map((f) => f.splitId)).toEqual([report.splits.failed[0]?.splitId]);

    await fx.db.query('ALTER TABLE events_fail DROP CONSTRAINT no_such_partition');
    await resumeExactly(args, report.runId, 'events_fail');

    // SIGTERM: a worker finishes what it holds and leaves.
    for (const worker of live) worker.child.kill('SIGTERM');
    for (const worker of live) expect(await worker.exited).toBe(0);
  }, 240_000);
});
