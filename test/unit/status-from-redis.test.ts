import { describe, expect, it } from 'vitest';
import { renderStatus, workerBeat, type DistributedStatus } from '../../src/runner/index.js';
import { visibleLine } from '../../src/observe/index.js';

// What `c2y status` shows comes from Redis: whoever can write there writes to the operator's terminal.
const FORGED = 'boom\u001b]52;c;ZWNobyBoaQ==\u0007\nworkers: none alive\u202egnp.exe';

describe('c2y status over what Redis holds', () => {
  it('shows every control character, newline and bidi override as an escape: no terminal sequence, no forged line', () => {
    // Before: the text reached the terminal as it was (an OSC 52 clipboard write, a line of its own, reversed text).
    const status: DistributedStatus = {
      runs: [{
        runId: 'r1', status: 'failed', source: 'ks.t', target: 'db.public.t', startedAt: '2026-12-08T00:00:00.000Z', splits: 1, splitStates: { failed: 1 },
        runJob: 'failed', active: [], failed: [{ splitId: 0, code: 'TARGET_WRITE_FAILED', message: FORGED, hint: FORGED, attempts: 1 }],
        rowsByWorker: { [FORGED]: 3 }, authentic: null, refusals: [],
      }],
      workers: [{ name: FORGED, host: 'h', pid: 1, runId: null, inFlight: 0, splitsDone: 0, rows: 0, lastSeen: '2026-12-08T00:00:00.000Z' }],
    };
    const text = renderStatus(status);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text.split('\n').filter((line) => line.startsWith('workers:'))).toHaveLength(1);
    expect(text).toContain('boom\\u001b]52;c;ZWNobyBoaQ==\\u0007\\u000aworkers: none alive\\u202egnp.exe');
    expect(visibleLine('plain → text, tabs\tand all')).toBe('plain → text, tabs\\u0009and all');
  });

  it('lists a heartbeat that is no heartbeat under its key, where status crashed on it (exit 70)', () => {
    const key = 'c2y:worker:w9';
    for (const text of ['not json', 'null', '{"name":5}', JSON.stringify({ name: 'w', host: 'h', pid: 1, runId: null, inFlight: 0, splitsDone: 0, rows: 0, lastSeen: 'yesterday' }),
      JSON.stringify({ name: 'w', host: 'h', pid: 1, runId: 7, inFlight: 0, splitsDone: 0, rows: 0, lastSeen: 1 }), JSON.stringify({ name: 'w', host: 'h', pid: 1, runId: null, inFlight: 0, splitsDone: 0, rows: 0, lastSeen: 1e300 })]) {
      expect(workerBeat(key, text), text).toMatchObject({ name: key, host: 'unreadable heartbeat' });
    }
    const beat = { name: 'w1', host: 'box', pid: 42, runId: 'r1', inFlight: 2, splitsDone: 5, rows: 900, lastSeen: Date.UTC(2026, 11, 8) };
    expect(workerBeat(key, JSON.stringify(beat))).toEqual({ ...beat, lastSeen: '2026-12-08T00:00:00.000Z' });
  });
});
