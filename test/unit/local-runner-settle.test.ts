import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, type RunEvent, type TaskErrorJson } from '../../src/observe/index.js';
import { localRunner, type RunnerOutcome } from '../../src/runner/index.js';
import type { PrestartedExecutors } from '../../src/runner/index.js';
import type { SourceTable } from '../../src/schema/index.js';
import { ConnectionBalancer } from '../../src/sink/index.js';
import type { DriverMessage, ExecutorMessage, ExecutorProcess, RunnerTask } from '../../src/task/index.js';

/** What a fake executor answers to a task, by split id: an error, or nothing (it finishes the task). */
type Script = (splitId: number) => TaskErrorJson | undefined;

/** An executor process without a process: it answers the driver over a fake IPC channel, asynchronously as IPC does. */
function fakeExecutor(script: Script, crashOnInit: boolean): ExecutorProcess {
  const child = new EventEmitter() as EventEmitter & { connected: boolean; send(message: DriverMessage): boolean; kill(): boolean };
  child.connected = true;
  const reply = (message: ExecutorMessage) => setImmediate(() => child.emit('message', message));
  const exit = (code: number) => setImmediate(() => { child.connected = false; child.emit('exit', code, null); });
  child.send = (message) => {
    if (message.type === 'init') crashOnInit ? exit(1) : reply({ type: 'ready' });
    else if (message.type === 'cancel') exit(0);
    else if (message.type === 'task') {
      const error = script(message.task.id);
      reply(error ? { type: 'task-failed', taskId: message.taskId, error } : { type: 'task-done', taskId: message.taskId, rows: 1 });
    }
    return true;
  };
  child.kill = () => true;
  return { child: child as never, stderrTail: () => '', ranOutOfMemory: () => false };
}

function fakeExecutors(script: Script, crashOnInit = false): PrestartedExecutors {
  return { take: () => fakeExecutor(script, crashOnInit), stop: () => undefined } as unknown as PrestartedExecutors;
}

async function run(script: Script, splits: number, crashOnInit = false): Promise<{ outcome: RunnerOutcome; events: RunEvent[] }> {
  const { config } = loadConfig({ flags: { 'source.keyspace': 'ks', 'source.table': 't', executors: '1', cores: '2', maxRetries: '3', retryBackoffMs: '60000' } });
  const events: RunEvent[] = [];
  const tasks = Array.from({ length: splits }, (_, i) => ({ id: i + 1, spec: { kind: 'copy', split: { id: i + 1 } } }) as unknown as RunnerTask);
  const outcome = await localRunner.run({
    config, runId: 'r1', table: { keyspace: 'ks', name: 't', columns: [] } as unknown as SourceTable, tasks,
    balancer: new ConnectionBalancer([{ host: '127.0.0.1', port: 1, key: '127.0.0.1:1' }], true, undefined),
    signal: new AbortController().signal, listener: (event) => events.push(event), prestarted: fakeExecutors(script, crashOnInit),
    log: createLogger({ json: true, level: 'error', write: () => undefined }),
  });
  return { outcome, events };
}

const transient: TaskErrorJson = { code: 'TARGET_WRITE_FAILED', message: 'connection reset', retryable: true };
const unrepresentable: TaskErrorJson = { code: 'VALUE_UNREPRESENTABLE', message: 'a value the target cannot hold', retryable: false };

describe('a local run that stops while splits wait out a retry', () => {
  it('ends with every split done or failed, the waiting one failed with its last error and said so', async () => {
    // Split 1 fails transiently (a retry is due in a minute); split 2 stops the run (onError: stop).
    const { outcome, events } = await run((id) => (id === 1 ? transient : unrepresentable), 2);
    const failed = outcome.failed.map((f) => [f.splitId, f.error.code]).sort();
    expect(failed).toEqual([[1, 'TARGET_WRITE_FAILED'], [2, 'VALUE_UNREPRESENTABLE']]);
    const said = events.filter((e) => e.type === 'split-failed').map((e) => e.type === 'split-failed' && e.splitId).sort();
    expect(said).toEqual([1, 2]);
  });

  it('says every split it could not start failed when no executor is left to run them', async () => {
    const { outcome, events } = await run(() => undefined, 3, true);
    expect(outcome.failed.map((f) => f.splitId).sort()).toEqual([1, 2, 3]);
    expect(outcome.failed.every((f) => f.error.code === 'EXECUTOR_CRASHED')).toBe(true);
    const said = events.filter((e) => e.type === 'split-failed').map((e) => e.type === 'split-failed' && e.splitId).sort();
    expect(said).toEqual([1, 2, 3]);
  });
});
