import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  readonly listenHost: string;
  /** 0: any free port. */
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
  /** Added to every chunk in each direction: 10 ms each way is a 20 ms round trip. */
  readonly oneWayDelayMs?: number;
  /** Bytes per second per direction per connection; undefined: unlimited. */
  readonly bytesPerSecond?: number;
}

export interface ProxyStats {
  connections: number;
  refused: number;
  bytesUp: number;
  bytesDown: number;
}

/** Chunks held before the sending side is paused: the proxy applies backpressure, it does not buffer without end. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/**
 * One direction of a proxied connection: each chunk leaves no earlier than its arrival + delay, and no earlier than
 * the bandwidth cap allows after the one before it; order is kept.
 */
class DelayedPipe {
  private queued = 0;
  /** When the previous chunk leaves: later chunks never leave before it. */
  private lastRelease = 0;
  /**
   * Chunks in arrival order with their release times, drained by one timer: separate timers per chunk can fire out
   * of order (Node groups timers by whole milliseconds), which corrupts the byte stream.
   */
  private readonly pending: Array<{ readonly at: number; readonly run: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: TcpProxy,
    private readonly count: (bytes: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.schedule(0, () => to.end()));
  }

  /** Queues `action` for when a chunk of `bytes` may leave: after the delay, after the previous chunk, at the capped rate. */
  private schedule(bytes: number, action: () => void): void {
    const now = Date.now();
    const rate = this.proxy.bytesPerSecond;
    const serialised = rate ? Math.max(this.lastRelease, now) + (bytes / rate) * 1000 : 0;
    const releaseAt = Math.max(now + this.proxy.oneWayDelayMs, this.lastRelease, serialised);
    this.lastRelease = releaseAt;
    this.pending.push({ at: releaseAt, run: action });
    this.drain();
  }

  private drain(): void {
    if (this.timer) return;
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.drain();
        }, wait);
        return;
      }
      this.pending.shift();
      head.run();
    }
  }

  private push(chunk: Buffer): void {
    if (this.proxy.oneWayDelayMs === 0 && !this.proxy.bytesPerSecond && this.pending.length === 0) {
      this.count(chunk.length);
      if (!this.to.write(chunk)) {
        this.from.pause();
        this.to.once('drain', () => this.from.resume());
      }
      return;
    }
    this.queued += chunk.length;
    if (this.queued > MAX_QUEUED_BYTES) this.from.pause();
    this.schedule(chunk.length, () => {
      this.queued -= chunk.length;
      this.count(chunk.length);
      if (!this.to.destroyed) this.to.write(chunk);
      if (this.queued <= MAX_QUEUED_BYTES / 2 && this.from.isPaused()) this.from.resume();
    });
  }
}

/**
 * A userspace TCP forwarder for the fault tests and the WAN bench: delay (this kernel has no netem), a bandwidth cap,
 * and an outage switch that drops every connection and refuses new ones until it is turned off.
 */
export class TcpProxy {
  oneWayDelayMs: number;
  bytesPerSecond: number | undefined;
  readonly stats: ProxyStats = { connections: 0, refused: 0, bytesUp: 0, bytesDown: 0 };
  private down = false;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly options: ProxyOptions) {
    this.oneWayDelayMs = options.oneWayDelayMs ?? 0;
    this.bytesPerSecond = options.bytesPerSecond;
  }

  get address(): string {
    return `${this.options.listenHost}:${this.port}`;
  }

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listenPort, this.options.listenHost, () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  private accept(client: Socket): void {
    if (this.down) {
      this.stats.refused++;
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = connect(this.options.targetPort, this.options.targetHost);
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // A reset or error cuts the other side at once; a clean end reaches it after the chunks still queued (DelayedPipe).
      socket.on('error', () => other.destroy());
    }
    new DelayedPipe(client, upstream, this, (bytes) => (this.stats.bytesUp += bytes));
    new DelayedPipe(upstream, client, this, (bytes) => (this.stats.bytesDown += bytes));
  }

  /** An outage: every open connection is cut (RST) and new ones are closed at once, until `setDown(false)`. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
