import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import type { ApplyContext } from '../../src/cdc/change-applier.js';
import { LiveApplier } from '../../src/cdc/live-applier.js';
import type { TargetSession } from '../../src/cdc/target-session.js';

/**
 * A live apply stops on a signal that fired while it was starting. `migrate --live` starts a collector before the
 * copy and aborts it when the copy ends; a copy that ends at once (a finished run resumed to go on applying) aborted
 * it before it listened, and the process never ended (the live-migrate kill/resume test timed out in CI).
 */
describe('LiveApplier', () => {
  it('ends at once when its signal was aborted before it ran', async () => {
    const config = configSchema.parse({ source: { keyspace: 'ks', table: 't' } });
    const context = { table: { partitionKeys: [], clusteringKeys: [] } } as unknown as ApplyContext;
    const stopped = new AbortController();
    stopped.abort();
    const applier = new LiveApplier(context, {} as TargetSession, { config, nodes: [], signal: stopped.signal, collectOnly: true, flushMs: 10 }, [], new Map());
    const ended = await Promise.race([applier.run().then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still running'), 2000))]);
    expect(ended).toBe('ended');
  });
});
