/**
 * The WAN emulator in a process of its own, so a bench that blocks on a child (spawnSync) does not stall it, and so
 * its CPU is its own. Messages: { delayMs } sets the one-way delay; 'stats' replies with bytes and CPU so far.
 */
import { TcpProxy } from '../../src/testbed/index.js';

interface Start { readonly targetPort: number }
const send = (message: unknown): void => {
  process.send?.(message);
};

process.once('message', async (start: Start) => {
  const proxy = new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: start.targetPort });
  const port = await proxy.start();
  process.on('message', (message: { delayMs?: number } | 'stats') => {
    if (message === 'stats') {
      const cpu = process.cpuUsage();
      send({ bytes: proxy.stats.bytesUp + proxy.stats.bytesDown, cpuMicros: cpu.user + cpu.system });
    } else if (typeof message.delayMs === 'number') {
      proxy.oneWayDelayMs = message.delayMs;
      send({ delayMs: message.delayMs });
    }
  });
  send({ port });
});
