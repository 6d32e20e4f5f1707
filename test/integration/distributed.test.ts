import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type C2yConfig } from '../../src/config/index.js';
import { distributedStatus, redisKeys, RunSigner, type SplitJobData, type SplitJobResult } from '../../src/runner/index.js';
import { shareableConfig } from '../../src/runner/run-record.js';
import type { TargetEndpoint } from '../../src/sink/index.js';
import { describeTable } from '../../src/source/index.js';
import type { RunReport } from '../../src/observe/index.js';
import { createWorkerNamespaces, ensureTestbedCerts, inNamespace, removeWorkerNamespaces, startTestbedRedis, type TestbedRedis, type WorkerNamespace } from '../../src/testbed/index.js';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { C2Y_BIN, killGroup, runC2y, spawnC2y } from '../helpers/run-cli.js';
import { cassandraClient, RING } from '../helpers/servers.js';
import { committedRows, until, untilFound } from '../helpers/wait.js';

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

/** The run key both sides read from their environment; every child of this test inherits it. */
const RUN_KEY = 'distributed-test-run-key-0123456789';
process.env['C2Y_RUN_KEY'] = RUN_KEY;

/** What a worker may connect to: the ring and the test database's addresses, nothing else. */
function allowFlags(): string[] {
  return ['--allow-source', RING.map((host) => `${host}:9042`).join(','), '--allow-target', fx.db.hosts.join(',')];
}

function startWorker(namespace: WorkerNamespace, name: string): WorkerProcess {
  const argv = inNamespace(namespace, process.execPath, [C2Y_BIN, 'worker', '--redis', redis.url, ...allowFlags(), '--cores', '2', '--name', name, '--json']);
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
      // Paced: unpaced, 30,000 rows end in ~3 s on a fast machine, before the late-joining victim holds a split.
      '--set', 'workerLeaseMs=3000', '--set', 'target.maxConnectionsPerNode=1', '--set', 'target.rowsPerSecond=4000', '--ui-port', '0', '--json',
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
    // Every split job completed: as many as the run planned (parallelism 12 caps them; a small size estimate gives fewer).
    expect(status.stdout, status.stdout).toContain(`completed ${report.splits.effective}`);
    expect(status.stdout).toMatch(/run job (completed|waiting)/);
    expect(status.stdout).toMatch(/w1 .*idle|w1 .*run/);
  }, 600_000);

  it('Ctrl-C on the driver interrupts the workers\' splits (rolled back, checkpoints kept); --resume finishes exactly', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(live.length).toBe(2);
    // A rate limit keeps the run going for seconds whatever the machine's speed: the Ctrl-C lands mid-run.
    const args = fx.args('events_cancel', ['--distributed', '--redis', redis.url, '--parallelism', '8', '--split-size-mb', '0.25', '--copy-flush-every', '250', '--set', 'target.rowsPerSecond=5000', '--ui-port', '0', '--json']);
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
    expect(failed.code, failed.stderr.slice(-1500)).toBe(5);
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

describe('workers do not obey Redis blindly', () => {
  it('a hostile run record (other host, TLS off, SQL text) or a forged job makes a worker refuse: no connection, no password, nothing run', async () => {
    // The "attacker's" hosts: one listener standing in for both a Cassandra node and a PostgreSQL server.
    const seen: string[] = [];
    const listener = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => seen.push(chunk.toString('latin1')));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const trap = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
    let connections = 0;
    listener.on('connection', () => connections++);

    const cassandra = await cassandraClient();
    const table = await describeTable(cassandra, fx.keyspace, 'events');
    await cassandra.shutdown();
    const configFor = (targetTable: string, hosts: { source: string; target: string }, sslMode: 'disable' | 'verify-full' = 'disable'): C2yConfig => shareableConfig(loadConfig({ flags: {
      'source.keyspace': fx.keyspace, 'source.table': 'events', 'source.contactPoints': hosts.source, 'target.hosts': hosts.target,
      'target.database': fx.db.database, 'target.table': targetTable, 'target.sslMode': sslMode,
    } }).config);
    const endpointsOf = (hosts: string): TargetEndpoint[] => hosts.split(',').map((key) => ({ host: key.split(':')[0] as string, port: Number(key.split(':')[1]), key }));
    const writer = new Redis(redis.url, { maxRetriesPerRequest: null });
    const signer = RunSigner.fromKey(RUN_KEY);
    const put = async (runId: string, value: string, task: { id: number; spec: unknown }, mac: string): Promise<void> => {
      await writer.multi().set(redisKeys.runKey(runId), value).zadd(redisKeys.RUNS_KEY, Date.now(), runId).exec();
      const queue = new Queue(redisKeys.splitQueueName(runId), { connection: writer });
      await queue.add('split-1', { runId, task, mac }, { jobId: redisKeys.splitJobId(runId, task.id) });
      await queue.close();
    };
    const base = { source: 'x', splits: 1, startedAt: Date.now(), driver: 'attacker', status: 'running' };
    const task = { id: 1, spec: { kind: 'copy', split: { id: 1 } } };
    const trapHosts = { source: trap, target: trap };
    // 1. Unsigned, in the old format: the attacker's hosts, TLS off, and SQL text for the worker to run.
    await put('hostile-unsigned', JSON.stringify({ ...base, runId: 'hostile-unsigned', target: 'y', config: configFor('events_dist', trapHosts), table, endpoints: endpointsOf(trap), copySql: 'DROP TABLE events_dist' }), task, 'f'.repeat(64));
    // 2. Signed with the right key (a driver misconfigured, or a key that leaked) but naming a host off the allow-list.
    const offList = { ...base, runId: 'hostile-off-list', target: 'y', config: configFor('events_dist', { source: RING.map((h) => `${h}:9042`).join(','), target: trap }), table, endpoints: endpointsOf(trap) };
    const offListBody = JSON.stringify(offList);
    await put('hostile-off-list', JSON.stringify({ body: offListBody, mac: signer.sign('run-record', 'hostile-off-list', offListBody) }), task, signer.sign('split-job', 'hostile-off-list', JSON.stringify(task)));
    // 3. Signed, allowed hosts, but asking TLS verify-full of a worker set up without it: refused, not downgraded.
    const tlsRun = { ...offList, runId: 'hostile-tls', config: configFor('events_dist', { source: RING.map((h) => `${h}:9042`).join(','), target: fx.db.hosts.join(',') }, 'verify-full'), endpoints: endpointsOf(fx.db.hosts.join(',')) };
    const tlsBody = JSON.stringify(tlsRun);
    await put('hostile-tls', JSON.stringify({ body: tlsBody, mac: signer.sign('run-record', 'hostile-tls', tlsBody) }), task, signer.sign('split-job', 'hostile-tls', JSON.stringify(task)));

    const argv = [C2Y_BIN, 'worker', '--redis', redis.url, ...allowFlags(), '--name', 'guard', '--json'];
    const worker = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, C2Y_SOURCE_PASSWORD: 'cass-secret-1', C2Y_TARGET_PASSWORD: 'pg-secret-1' } });
    let log = '';
    worker.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    worker.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await until('the worker to refuse all three runs', () => Promise.resolve(['hostile-unsigned', 'hostile-off-list', 'hostile-tls'].every((id) => log.includes(id))), 30_000);
      await sleep(2000);
      expect(log).toMatch(/hostile-unsigned.*not signed|not signed.*hostile-unsigned/);
      expect(log).toMatch(new RegExp(`target node ${trap.replace(/\./g, '\\.')} is not on this worker's --allow-target list`));
      expect(log).toContain('the run asks TLS verify-full to the target; this worker is set up for disable');
      expect(log).not.toContain('joined run');
      expect(connections).toBe(0);
      expect(seen.join('')).not.toMatch(/secret-1/);
      expect(log).not.toMatch(/secret-1/);
      // Nothing ran: the jobs wait untouched and the table the SQL text named is still there.
      for (const id of ['hostile-unsigned', 'hostile-off-list', 'hostile-tls']) {
        const queue = new Queue(redisKeys.splitQueueName(id), { connection: writer });
        expect(await (await queue.getJob(redisKeys.splitJobId(id, 1)))?.getState()).toBe('waiting');
        await queue.close();
      }
      expect((await fx.db.query(`SELECT to_regclass('events_dist') IS NOT NULL AS present`)).rows[0]?.present).toBe(true);
      // `c2y status` says so, with the key at hand.
      const status = await runC2y(['status', '--redis', redis.url, '--limit', '50']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/hostile-unsigned[^\n]*\n\s+NOT SIGNED/);
      expect(status.stdout).toMatch(/REFUSED\s+by worker guard: target node 127\.0\.0\.1:\d+ is not on this worker's --allow-target list/);

      // 4. An authentic run with a forged job: the worker joins, but fails the job unrun.
      await writer.del(...['hostile-unsigned', 'hostile-off-list', 'hostile-tls'].map((id) => redisKeys.runKey(id)));
      const honest = { ...tlsRun, runId: 'honest-forged-job', config: configFor('events_forged', { source: RING.map((h) => `${h}:9042`).join(','), target: fx.db.hosts.join(',') }) };
      const honestBody = JSON.stringify(honest);
      await put('honest-forged-job', JSON.stringify({ body: honestBody, mac: signer.sign('run-record', 'honest-forged-job', honestBody) }), task, signer.sign('split-job', 'another-run', JSON.stringify(task)));
      // Its "driver" beats, as a live one does (workers leave runs whose driver is silent).
      await writer.set(redisKeys.driverKey('honest-forged-job'), 'test', 'PX', 120_000);
      const queue = new Queue(redisKeys.splitQueueName('honest-forged-job'), { connection: writer });
      await until('the forged job to fail', async () => (await (await queue.getJob(redisKeys.splitJobId('honest-forged-job', 1)))?.getState()) === 'failed', 60_000);
      const job = await queue.getJob(redisKeys.splitJobId('honest-forged-job', 1));
      expect(job?.failedReason).toContain('RUN_JOB_FORGED');
      await queue.close();
      expect(connections).toBe(0);
    } finally {
      killGroup(worker);
      // The hostile runs leave nothing behind for the tests after this one.
      await writer.del(...['hostile-unsigned', 'hostile-off-list', 'hostile-tls', 'honest-forged-job'].flatMap((id) => [redisKeys.runKey(id), redisKeys.driverKey(id)]));
      await writer.zrem(redisKeys.RUNS_KEY, 'hostile-unsigned', 'hostile-off-list', 'hostile-tls', 'honest-forged-job');
      writer.disconnect();
      listener.close();
    }
  }, 180_000);

  it('refuses to start without C2Y_RUN_KEY or an allow-list, and a --redis password on the command line', async () => {
    const noKey = await runC2y(['worker', '--redis', redis.url, ...allowFlags()], { C2Y_RUN_KEY: '' });
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toContain('RUN_KEY_MISSING');
    const noList = await runC2y(['worker', '--redis', redis.url]);
    expect(noList.stderr).toMatch(/CONFIG_INVALID: a worker connects only where it is told to by its own settings: --allow-source is missing/);
    const inFlag = await runC2y(['worker', '--redis', 'redis://:hunter2pw@127.0.0.1:1', ...allowFlags()]);
    expect(inFlag.stderr).toContain('a password on the command line shows in ps');
    expect(inFlag.stderr).not.toContain('hunter2pw');
    const driver = await runC2y(fx.args('events_nokey', ['--distributed', '--redis', redis.url, '--ui-port', '0']), { C2Y_RUN_KEY: '' });
    expect(driver.code).not.toBe(0);
    expect(driver.stderr).toContain('RUN_KEY_MISSING');
  }, 60_000);
});

describe('Redis with AUTH and TLS', () => {
  it('status reaches a rediss:// Redis that needs a password, given in C2Y_REDIS_PASSWORD and trusting C2Y_REDIS_CA; a wrong one is a clear error', async () => {
    const certs = ensureTestbedCerts();
    const secure = await startTestbedRedis({ password: 'redis-pw-42', tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert } });
    try {
      expect(secure.url).toMatch(/^rediss:\/\//);
      const ok = await runC2y(['status', '--redis', secure.url], { C2Y_REDIS_PASSWORD: 'redis-pw-42', C2Y_REDIS_CA: certs.caCert });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('runs: none in this Redis');
      const wrong = await runC2y(['status', '--redis', secure.url], { C2Y_REDIS_PASSWORD: 'nope', C2Y_REDIS_CA: certs.caCert });
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/REDIS_UNREACHABLE.*WRONGPASS/);
      expect(wrong.stderr).not.toContain('nope');
      // Another CA: the server is not trusted, so no password is sent.
      const otherCa = await runC2y(['status', '--redis', secure.url], { C2Y_REDIS_PASSWORD: 'redis-pw-42', C2Y_REDIS_CA: certs.otherCaCert });
      expect(otherCa.code).not.toBe(0);
      expect(otherCa.stderr).toMatch(/REDIS_UNREACHABLE.*certificate/);
    } finally {
      await secure.stop();
    }
  }, 60_000);
});

describe('distributed runs that cannot pin workers', () => {
  /** A worker on this machine (no namespace), with its own log. */
  function hostWorker(name: string, extra: readonly string[] = []): { run: ReturnType<typeof spawnC2y>; log: () => string } {
    const run = spawnC2y(['worker', '--redis', redis.url, ...allowFlags(), '--name', name, '--json', ...extra]);
    return { run, log: () => run.stderrSoFar() + run.stdoutSoFar() };
  }

  async function stop(worker: { run: ReturnType<typeof spawnC2y> }): Promise<void> {
    worker.run.child.kill('SIGTERM');
    await Promise.race([worker.run.result, sleep(60_000).then(() => killGroup(worker.run.child))]);
  }

  /** Live children of a process (from /proc). */
  function childPids(pid: number): number[] {
    return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[0] !== 'Z' && Number(fields[1]) === pid ? [Number(entry)] : [];
      } catch {
        return [];
      }
    });
  }

  it('a worker forks its executor before a run, the run uses it, and the next one is forked once the run ends', async () => {
    const worker = hostWorker('spare-w', ['--cores', '2']);
    const pid = worker.run.child.pid as number;
    let spare: number | undefined;
    await until('the worker to serve with an executor forked ahead of any run', () => {
      spare = childPids(pid)[0];
      return Promise.resolve(worker.log().includes('worker started') && spare !== undefined);
    }, 60_000);
    const driver = spawnC2y(fx.args('events_spare', ['--distributed', '--redis', redis.url, '--parallelism', '2', '--split-size-mb', '1', '--set', 'target.rowsPerSecond=10000', '--ui-port', '0', '--json']));
    try {
      await until('the worker to join the run', () => Promise.resolve(worker.log().includes('joined run')), 120_000);
      // The run's executor is the one forked before it: no fork or module loading inside the run.
      expect(childPids(pid)).toEqual([spare]);
      const result = await driver.result;
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      expect(await postgresEventsDigest(fx.db, 'events_spare')).toEqual(fx.sourceDigest);
      await until('an executor forked for the next run', () => Promise.resolve(childPids(pid).some((child) => child !== spare)), 60_000);
      // A run with another heap: the waiting executor (1 GiB) is stopped, the run's own is forked, and the next spare
      // takes this run's heap.
      const nextSpare = childPids(pid)[0] as number;
      const joins = worker.log().split('joined run').length;
      const other = spawnC2y(fx.args('events_spare2', ['--distributed', '--redis', redis.url, '--parallelism', '2', '--split-size-mb', '1', '--executor-memory', '600m', '--set', 'target.rowsPerSecond=10000', '--ui-port', '0', '--json']));
      try {
        await until('the worker to join the second run', () => Promise.resolve(worker.log().split('joined run').length > joins), 120_000);
        await until('the run\'s own executor, and the spare gone', () => Promise.resolve(childPids(pid).length === 1 && childPids(pid)[0] !== nextSpare), 30_000);
        expect(readFileSync(`/proc/${childPids(pid)[0]}/cmdline`, 'utf8')).toContain('--max-old-space-size=600');
        const second = await other.result;
        expect(second.code, second.stderr.slice(-1500)).toBe(0);
        await until('a spare with the last run\'s heap', () => Promise.resolve(childPids(pid).some((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('--max-old-space-size=600'))), 60_000);
      } finally {
        killGroup(other.child);
      }
    } finally {
      killGroup(driver.child);
      await stop(worker);
    }
    // Stopping the worker stops its waiting executor too.
    expect(childPids(pid)).toEqual([]);
  }, 240_000);

  it('a dead driver\'s run is orphaned: workers leave it, status says so, and --resume adopts it and finishes exactly', async () => {
    const worker = hostWorker('orphan-w', ['--cores', '2']);
    // Paced (target.rowsPerSecond) so the driver dies mid-run however fast the machine.
    const args = fx.args('events_orphan', ['--distributed', '--redis', redis.url, '--parallelism', '6', '--split-size-mb', '0.25', '--copy-flush-every', '100', '--set', 'source.fetchSize=100', '--set', 'target.rowsPerSecond=5000', '--ui-port', '0', '--json']);
    const driver = spawnC2y(args);
    try {
      let runId: string | undefined;
      await until('rows committed by the worker', async () => {
        runId ??= /"runId":"([^"]+)"/.exec(driver.stderrSoFar())?.[1];
        return runId !== undefined && (await committedRows(fx.db, 'events_orphan')) > 2000;
      }, 120_000);
      killGroup(driver.child);
      await driver.result;
      await until('the worker to leave the orphaned run', () => Promise.resolve(worker.log().includes('leaving the run: its driver is silent')), 60_000);
      const status = await runC2y(['status', '--redis', redis.url, '--run', runId as string]);
      expect(status.stdout).toMatch(/orphaned/);
      expect(status.stdout).toContain('--resume');
      await resumeExactly(args, runId as string, 'events_orphan');
    } finally {
      killGroup(driver.child);
      await stop(worker);
    }
  }, 300_000);

  it('a worker serving a run that is started again (--resume) rejoins it with its new settings', async () => {
    const worker = hostWorker('reload-w');
    // Slow splits (a rate limit, small commits and pages): some are still waiting when the run is started again. The
    // limit, not the machine's speed, sets the pace (faster transcoding once let the worker finish every split first).
    // maxRetries=0: a split has one attempt, so a worker that takes a split of the resumed run before it noticed the
    // resume must give the split back without spending it (it once failed the split, and the resume ended failed).
    const base = ['--distributed', '--redis', redis.url, '--parallelism', '6', '--split-size-mb', '0.25', '--copy-flush-every', '20', '--set', 'source.fetchSize=50', '--set', 'target.rowsPerSecond=3000', '--set', 'maxRetries=0', '--ui-port', '0', '--json'];
    const driver = spawnC2y(fx.args('events_reload', [...base, '--cores', '3']));
    try {
      let runId: string | undefined;
      await until('the worker to join with 3 cores', async () => {
        runId ??= /"runId":"([^"]+)"/.exec(driver.stderrSoFar())?.[1];
        return runId !== undefined && /"msg":"joined run"[^\n]*"cores":3/.test(worker.log()) && (await committedRows(fx.db, 'events_reload')) > 1000;
      }, 120_000);
      // The driver dies and is resumed at once, before the worker could notice it was silent.
      killGroup(driver.child);
      await driver.result;
      const resumed = await runC2y(fx.args('events_reload', [...base, '--cores', '1', '--resume', runId as string]));
      expect(resumed.code, resumed.stderr.slice(-1500)).toBe(0);
      expect(worker.log()).toContain('the run was started again (--resume): rejoining it with its new settings');
      expect(worker.log()).toMatch(/"msg":"joined run"[^\n]*"cores":1/);
      expect(await postgresEventsDigest(fx.db, 'events_reload')).toEqual(fx.sourceDigest);
    } finally {
      killGroup(driver.child);
      await stop(worker);
    }
  }, 300_000);

  it('two runs at once share one worker in turn, instead of the second waiting for the first', async () => {
    // One core and small commits: each run alone keeps the worker busy for several seconds, with splits waiting.
    const worker = hostWorker('fair-w', ['--cores', '1', '--run-share', '1']);
    // Paced as well: on a fast machine one run alone ended in 4 s, inside the worker's first turn.
    const slow = ['--distributed', '--redis', redis.url, '--parallelism', '8', '--split-size-mb', '0.1', '--copy-flush-every', '20', '--set', 'source.fetchSize=50', '--set', 'target.rowsPerSecond=2500', '--ui-port', '0', '--json'];
    try {
      const first = spawnC2y(fx.args('events_fair_a', slow));
      const second = spawnC2y(fx.args('events_fair_b', slow));
      const [a, b] = await Promise.all([first.result, second.result]);
      expect(a.code, a.stderr.slice(-1500)).toBe(0);
      expect(b.code, b.stderr.slice(-1500)).toBe(0);
      const reportA = JSON.parse(a.stdout) as RunReport;
      const reportB = JSON.parse(b.stdout) as RunReport;
      expect(await postgresEventsDigest(fx.db, 'events_fair_a')).toEqual(fx.sourceDigest);
      expect(await postgresEventsDigest(fx.db, 'events_fair_b')).toEqual(fx.sourceDigest);
            const finishedOn = async (runId: string): Promise<number[]> => {
        const queue = new Queue<SplitJobData, SplitJobResult>(redisKeys.splitQueueName(runId), { connection: new Redis(redis.url, { maxRetriesPerRequest: null }) });
        try {
          return (await queue.getJobs(['completed'])).map((job) => job.finishedOn ?? 0).filter((t) => t > 0);
        } finally {
          await queue.close();
          await queue.disconnect();
        }
      };
      const doneA = await finishedOn(reportA.runId);
      const doneB = await finishedOn(reportB.runId);
      console.log(`run A splits done ${new Date(Math.min(...doneA)).toISOString()}–${new Date(Math.max(...doneA)).toISOString()}, run B ${new Date(Math.min(...doneB)).toISOString()}–${new Date(Math.max(...doneB)).toISOString()}`);
      // Whichever started first, the other's splits finished while it still had some to do: their spans overlap.
      expect(Math.max(Math.min(...doneA), Math.min(...doneB))).toBeLessThan(Math.min(Math.max(...doneA), Math.max(...doneB)));
      expect(worker.log()).toContain('turning to another run with splits waiting (round robin)');
    } finally {
      await stop(worker);
    }
  }, 300_000);

  it('a distributed run keeps its limit over all streams, and c2y tune changes it on the workers within seconds', async () => {
    const worker = hostWorker('tune-w', ['--cores', '2']);
    // 30,000 rows at 1,500 rows/s would take 20 s.
    const args = fx.args('events_dtune', ['--distributed', '--redis', redis.url, '--parallelism', '4', '--split-size-mb', '0.25', '--copy-flush-every', '200', '--set', 'source.fetchSize=100', '--set', 'target.rowsPerSecond=1500', '--ui-port', '0', '--json']);
    const driver = spawnC2y(args);
    try {
      const runId = await untilFound('the run id', () => /"runId":"([^"]+)"/.exec(driver.stderrSoFar())?.[1]);
      await until('rows committed by the worker', async () => (await committedRows(fx.db, 'events_dtune')) > 1500, 120_000);
      const before = { rows: await committedRows(fx.db, 'events_dtune'), at: Date.now() };
      await sleep(3000);
      const rate = ((await committedRows(fx.db, 'events_dtune')) - before.rows) / ((Date.now() - before.at) / 1000);
      // Commits land every 200 rows per stream: up to 4 × 200 rows of slack over the window.
      expect(rate).toBeLessThan(1500 * 1.1 + 800 / 3);
      expect(rate).toBeGreaterThan(1500 * 0.6);
      const hosts = fx.db.hosts.join(',');
      const tuned = await runC2y(['tune', runId, '--target-hosts', hosts, '--database', fx.db.database, '--set', 'target.rowsPerSecond=off']);
      expect(tuned.code, tuned.stderr).toBe(0);
      expect(tuned.stdout).toContain(`run ${runId}: target.rowsPerSecond=off, applied by its driver`);
      const tunedAt = Date.now();
      const result = await driver.result;
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      // The rest (most of the 30,000 rows) went unlimited: far sooner than 1,500 rows/s allowed.
      expect((Date.now() - tunedAt) / 1000).toBeLessThan((fx.rows - before.rows) / 1500 / 2);
      await until('the worker to log the change', () => Promise.resolve(/"msg":"rate limits changed by the run's driver"[^\n]*"limits":"no limits"/.test(worker.log())), 10_000);
      expect(await postgresEventsDigest(fx.db, 'events_dtune')).toEqual(fx.sourceDigest);
    } finally {
      killGroup(driver.child);
      await stop(worker);
    }
  }, 300_000);

  it('a stream whose node lease is lost stops (rolled back) and its split is retried; the run stays exact', async () => {
    const worker = hostWorker('lease-w', ['--cores', '1']);
    // Few, long splits (small commits, paced): a renewal (every 500 ms) must fall inside one.
    const args = fx.args('events_lease', ['--distributed', '--redis', redis.url, '--parallelism', '2', '--split-size-mb', '4', '--copy-flush-every', '20', '--set', 'source.fetchSize=50', '--set', 'workerLeaseMs=3000', '--set', 'target.rowsPerSecond=4000', '--ui-port', '0', '--json']);
    const driver = spawnC2y(args);
    const admin = new Redis(redis.url);
    try {
      let runId: string | undefined;
      await until('a stream mid-split', async () => {
        runId ??= /"runId":"([^"]+)"/.exec(driver.stderrSoFar())?.[1];
        return runId !== undefined && (await committedRows(fx.db, 'events_lease')) > 500;
      }, 120_000);
      // What another worker would see after a lapse: the lease is gone from Redis. Again until a renewal finds it
      // gone (a split may end between two renewals).
      await until('the worker to find its lease gone', async () => {
        for (const host of fx.db.hosts) await admin.del(redisKeys.leaseKey(runId as string, host));
        return worker.log().includes('stopping a stream: its node lease is lost');
      }, 60_000);
      const result = await driver.result;
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
      const report = JSON.parse(result.stdout) as RunReport;
      expect(report.retries).toBeGreaterThan(0);
      expect(worker.log()).toContain('stopping a stream: its node lease is lost');
      expect(await postgresEventsDigest(fx.db, 'events_lease')).toEqual(fx.sourceDigest);
    } finally {
      admin.disconnect();
      killGroup(driver.child);
      await stop(worker);
    }
  }, 300_000);
});
