import type { TargetClient } from '../sink/index.js';

/**
 * The connection a run's end is recorded on (checkpoints and rejects read back, the count, the status), opened while
 * the run's last splits still stream, once no split is left to begin. Opened after the runner returned, its TCP
 * handshake and start-up (more with TLS or a password) were round trips every run waited for at its end: over a WAN
 * of 100 ms, 0.1–0.3 s of a 1M-row run's ~9. Not opened at the run's start, nor used after waiting long: a connection
 * idle through a long run may be dead by its end without a word (a dropped idle flow, a target host gone), and a
 * query on it would wait on TCP; so one that waited past `freshForMs` is closed and the end opens a new one.
 */
export class EndConnection {
  private ahead: Promise<TargetClient | undefined> | undefined;
  private openedAt = 0;
  /** Set when the ahead connection's socket closed before the end took it (the target restarted, say). */
  private closed = false;

  constructor(private readonly open: () => Promise<TargetClient>, private readonly freshForMs = 30_000, private readonly now: () => number = Date.now) {}

  /** Opens it now, once; a failure is met again by take, which opens one of its own. */
  openAhead(): void {
    if (this.ahead !== undefined) return;
    this.ahead = this.open().then((client) => {
      this.openedAt = this.now();
      client.once('end', () => (this.closed = true));
      return client;
    }, () => undefined);
  }

  /** The connection opened ahead if it is open and fresh, else a new one (each call after the first: a new one). */
  async take(): Promise<TargetClient> {
    const ahead = await this.ahead;
    this.ahead = Promise.resolve(undefined);
    if (ahead !== undefined && !this.closed && this.now() - this.openedAt <= this.freshForMs) return ahead;
    await ahead?.end().catch(() => undefined);
    return this.open();
  }

  /** The run ended without recording its end here (the runner threw): the ahead connection is closed. */
  async close(): Promise<void> {
    const ahead = await this.ahead;
    this.ahead = Promise.resolve(undefined);
    await ahead?.end().catch(() => undefined);
  }
}
