import type { RunEvent } from '../observe/index.js';

type RowsStreamed = Extract<RunEvent, { type: 'rows-streamed' }>;

/** How long rows-streamed counts wait to go out together: the dashboard's progress moves at this grain. */
export const STREAMED_ROWS_FLUSH_MS = 100;

/**
 * An executor's messages to its driver, with rows-streamed events summed per split between flushes. A stream reports
 * every COPY chunk it writes (~170 rows of types_zoo), and each was an IPC message: JSON, a pipe write and a wake-up of
 * the driver (in a CPU profile of a 100K-row types_zoo run, ~6 % of the executors' busy samples were in that write).
 * Anything else sent flushes the sums first, so the driver sees what it saw before, in the same order: a split's rows
 * before its commit or its task-done, a rollback's negative count after the rows it takes back.
 */
export class StreamedRowsSender<Message> {
  private readonly pending = new Map<number, RowsStreamed>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sendNow: (message: Message) => void, private readonly asMessage: (event: RowsStreamed) => Message, private readonly flushMs = STREAMED_ROWS_FLUSH_MS) {}

  /** Sends `message` now, after the sums waiting; `streamed` (the message's rows-streamed event, if it is one) waits. */
  send(message: Message, streamed: RowsStreamed | undefined): void {
    if (streamed === undefined) {
      this.flush();
      this.sendNow(message);
      return;
    }
    const waiting = this.pending.get(streamed.splitId);
    // Keyed by split: a split runs in one executor at a time, so its executor field is the same in every event.
    this.pending.set(streamed.splitId, waiting === undefined ? streamed : { ...waiting, rows: waiting.rows + streamed.rows });
    this.timer ??= setTimeout(() => this.flush(), this.flushMs).unref();
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const events = [...this.pending.values()];
    this.pending.clear();
    for (const event of events) this.sendNow(this.asMessage(event));
  }
}
