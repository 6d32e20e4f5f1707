import type { Redis } from 'ioredis';
import type { RunEvent } from '../observe/index.js';
import { eventsKey } from './redis-keys.js';

/** Enough for the driver to fall behind a while without Redis growing without bound. */
const STREAM_MAX_LENGTH = 200_000;
const FLUSH_MS = 100;

/**
 * Workers' side: events are batched (the executor sends one per 256 KB streamed and two per second of memory)
 * and appended to the run's stream, which outlives a driver that reconnects.
 */
export class EventPublisher {
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly redis: Redis, private readonly runId: string) {}

  push(event: RunEvent): void {
    this.buffer.push(JSON.stringify(event));
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Sends what is buffered; resolves once Redis has it (a job's last events go before its completion). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.flushing;
    const key = eventsKey(this.runId);
    this.flushing = this.flushing.then(async () => {
      const pipeline = this.redis.pipeline();
      for (const event of batch) pipeline.xadd(key, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', 'e', event);
      pipeline.pexpire(key, 7 * 24 * 3600 * 1000);
      await pipeline.exec();
    }).catch(() => undefined);
    return this.flushing;
  }
}

/** The id of the newest event so far, so a driver reads only what comes after it. */
export async function lastEventId(redis: Redis, runId: string): Promise<string> {
  const newest = (await redis.xrevrange(eventsKey(runId), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  return newest[0]?.[0] ?? '0-0';
}

/**
 * Driver's side: hands each event to `onEvent` in order until `stop` resolves, then drains what is left.
 * Uses its own connection, since XREAD BLOCK holds it.
 */
export async function readEvents(redis: Redis, runId: string, fromId: string, onEvent: (event: RunEvent) => void, stop: { stopped: boolean }): Promise<void> {
  const key = eventsKey(runId);
  let lastId = fromId;
  for (;;) {
    const stopping = stop.stopped;
    const reply = (await redis.xread('COUNT', 2000, 'BLOCK', stopping ? 1 : 250, 'STREAMS', key, lastId)) as Array<[string, Array<[string, string[]]>]> | null;
    const entries = reply?.[0]?.[1] ?? [];
    for (const [id, fields] of entries) {
      lastId = id;
      const text = fields[1];
      if (text !== undefined) onEvent(JSON.parse(text) as RunEvent);
    }
    if (stopping && entries.length === 0) return;
  }
}
