import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TcpProxy } from '../../src/testbed/tcp-proxy.js';

/** A sink that hashes what it receives, and the proxy in front of it. */
async function through(options: { oneWayDelayMs?: number; bytesPerSecond?: number }, chunks: Buffer[]): Promise<{ sent: string; received: string; ms: number }> {
  const sink = createHash('sha256');
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const server = createServer((socket) => {
    socket.on('data', (chunk) => sink.update(chunk));
    socket.on('end', () => {
      socket.end();
      done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = new TcpProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: (server.address() as AddressInfo).port, ...options });
  const port = await proxy.start();
  const started = Date.now();
  const client = connect(port, '127.0.0.1');
  const sent = createHash('sha256');
  for (const chunk of chunks) {
    sent.update(chunk);
    client.write(chunk);
    // Small gaps, so chunks arrive at the proxy in different milliseconds.
    if (chunk.length % 3 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  client.end();
  await finished;
  const ms = Date.now() - started;
  client.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { sent: sent.digest('hex'), received: sink.digest('hex'), ms };
}

const chunks = (): Buffer[] => Array.from({ length: 400 }, (_, i) => randomBytes(1 + ((i * 7919) % 4000)));

describe('TcpProxy (the WAN emulator of the fault tests and the latency bench)', () => {
  it('keeps every byte in order under a bandwidth cap (per-chunk timers used to reorder them)', async () => {
    const data = chunks();
    const total = data.reduce((sum, c) => sum + c.length, 0);
    const result = await through({ bytesPerSecond: 2 * 1024 * 1024 }, data);
    expect(result.received).toBe(result.sent);
    // The cap holds: 2 MiB/s for ~0.8 MB takes at least most of the serialisation time.
    expect(result.ms).toBeGreaterThanOrEqual((total / (2 * 1024 * 1024)) * 1000 * 0.8);
  });

  it('keeps every byte in order with a delay, and adds it', async () => {
    const result = await through({ oneWayDelayMs: 15 }, chunks());
    expect(result.received).toBe(result.sent);
    expect(result.ms).toBeGreaterThanOrEqual(15);
  });
});
