/**
 * The WAN emulator in a process of its own, so a bench that blocks on a child (spawnSync) does not stall it, and so
 * its CPU is its own. Start with { targets: [{ host, port }] } (one proxy each, on 127.0.0.1, ports in the reply);
 * then { delayMs } sets the one-way delay of all; 'stats' replies with bytes and CPU so far.
 */
import { TcpProxy } from '../../src/testbed/index.js';

interface Start { readonly targets: ReadonlyArray<{ readonly host: string; readonly port: number }> }
const send = (message: unknown): void => {
  process.send?.(message);
};

process.once('message', async (start: Start) => {
  const proxies = start.targets.map((target) => new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: target.host, targetPort: target.port }));
  const ports: number[] = [];
  for (const proxy of proxies) ports.push(await proxy.start());
  process.on('message', (message: { delayMs?: number } | 'stats') => {
    if (message === 'stats') {
      const cpu = process.cpuUsage();
      send({ bytes: proxies.reduce((sum, proxy) => sum + proxy.stats.bytesUp + proxy.stats.bytesDown, 0), cpuMicros: cpu.user + cpu.system });
    } else if (typeof message.delayMs === 'number') {
      for (const proxy of proxies) proxy.oneWayDelayMs = message.delayMs;
      send({ delayMs: message.delayMs });
    }
  });
  send({ ports });
});
