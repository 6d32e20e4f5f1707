import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { RunEvent } from '../../src/observe/index.js';
import { localRunner } from '../../src/runner/index.js';
import { createLogger } from '../../src/observe/index.js';
import type { SourceTable } from '../../src/schema/index.js';
import { ConnectionBalancer } from '../../src/sink/index.js';

describe('Ctrl-C while a run is being planned', () => {
  it('the local runner starts no executor and no task when the abort came before it listened', async () => {
    const { config } = loadConfig({ flags: { 'source.keyspace': 'ks', 'source.table': 't' } });
    const controller = new AbortController();
    controller.abort();
    const events: RunEvent[] = [];
    const outcome = await localRunner.run({
      config, runId: 'r1', table: { keyspace: 'ks', name: 't', columns: [] } as unknown as SourceTable,
      tasks: [{ id: 1, spec: { kind: 'copy', split: { id: 1 } } } as never],
      balancer: new ConnectionBalancer([{ host: '127.0.0.1', port: 1, key: '127.0.0.1:1' }], true, undefined),
      signal: controller.signal, listener: (event) => events.push(event), log: createLogger({ json: true, level: 'error', write: () => undefined }),
    });
    expect(outcome).toMatchObject({ completed: [], failed: [], interrupted: true });
    expect(events).toEqual([]);
  });
});
