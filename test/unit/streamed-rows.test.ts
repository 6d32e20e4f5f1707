import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../src/observe/index.js';
import { StreamedRowsSender } from '../../src/task/streamed-rows.js';

type Sent = { readonly kind: 'event'; readonly event: RunEvent } | { readonly kind: 'done'; readonly split: number };

const streamed = (splitId: number, rows: number): Extract<RunEvent, { type: 'rows-streamed' }> => ({ type: 'rows-streamed', splitId, rows, executor: 0 });

function sender(): { sent: Sent[]; send: (message: Sent) => void } {
  const sent: Sent[] = [];
  const rowsSender = new StreamedRowsSender<Sent>((message) => sent.push(message), (event) => ({ kind: 'event', event }), 100);
  return { sent, send: (message) => rowsSender.send(message, message.kind === 'event' && message.event.type === 'rows-streamed' ? message.event : undefined) };
}

describe('StreamedRowsSender', () => {
  it('sums a split\'s rows-streamed events and sends them before the next other message, in order', () => {
    const { sent, send } = sender();
    send({ kind: 'event', event: streamed(1, 170) });
    send({ kind: 'event', event: streamed(2, 50) });
    send({ kind: 'event', event: streamed(1, 170) });
    // A rollback's negative count is summed too: the driver ends at the same count.
    send({ kind: 'event', event: streamed(2, -50) });
    expect(sent).toEqual([]);
    send({ kind: 'done', split: 1 });
    expect(sent).toEqual([
      { kind: 'event', event: streamed(1, 340) },
      { kind: 'event', event: streamed(2, 0) },
      { kind: 'done', split: 1 },
    ]);
    send({ kind: 'event', event: streamed(1, 7) });
    send({ kind: 'done', split: 2 });
    expect(sent.slice(3)).toEqual([{ kind: 'event', event: streamed(1, 7) }, { kind: 'done', split: 2 }]);
  });

  it('sends what waits after its delay when nothing else is sent', () => {
    vi.useFakeTimers();
    try {
      const { sent, send } = sender();
      send({ kind: 'event', event: streamed(3, 10) });
      send({ kind: 'event', event: streamed(3, 11) });
      vi.advanceTimersByTime(99);
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(sent).toEqual([{ kind: 'event', event: streamed(3, 21) }]);
      send({ kind: 'event', event: streamed(3, 1) });
      vi.advanceTimersByTime(100);
      expect(sent).toEqual([{ kind: 'event', event: streamed(3, 21) }, { kind: 'event', event: streamed(3, 1) }]);
    } finally {
      vi.useRealTimers();
    }
  });
});
