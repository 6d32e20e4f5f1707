import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { forkExecutor } from '../../src/task/index.js';

/**
 * Ctrl-C makes the driver send cancel to executors that may be exiting already; a send on a closed channel is an
 * 'error' event on the ChildProcess. Unheard, that event was an uncaught exception: the driver exited 1 mid-cancel
 * instead of reporting the run interrupted (130), as CI saw once.
 */
describe('executor IPC', () => {
  it('a message sent on a closed channel is kept as the executor\'s last words, never a crash of the driver', async () => {
    const executor = forkExecutor(64);
    await once(executor.child, 'spawn');
    executor.child.disconnect();
    executor.child.send({ type: 'cancel' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (executor.child.exitCode === null && executor.child.signalCode === null) {
      executor.child.kill('SIGKILL');
      await once(executor.child, 'exit');
    }
    expect(executor.stderrTail()).toMatch(/executor channel: .*channel closed/i);
  });
});
