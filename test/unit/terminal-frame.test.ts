import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fittedProgress, terminalFrame, type TerminalFrame } from '../../src/observe/index.js';
import type { ProgressSnapshot } from '../../src/observe/progress-display.js';

/** Just enough of a terminal to see what a user sees: wrapping at the width, \r, \n, erase line, cursor up/column. */
class VirtualTerminal extends Writable {
  readonly rows: string[] = [''];
  private row = 0;
  private col = 0;
  readonly isTTY = true;

  constructor(readonly columns: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    for (let i = 0; i < text.length; i++) {
      const escape = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(text.slice(i));
      if (escape) {
        this.control(escape[3] as string, Number(escape[2] || '0'), escape[1] === '?');
        i += escape[0].length - 1;
        continue;
      }
      const ch = text[i] as string;
      if (ch === '\n') this.moveTo(this.row + 1, 0);
      else if (ch === '\r') this.col = 0;
      else {
        if (this.col >= this.columns) this.moveTo(this.row + 1, 0);
        const line = (this.rows[this.row] ?? '').padEnd(this.col, ' ');
        this.rows[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
    }
    done();
  }

  private control(code: string, n: number, privateMode: boolean): void {
    if (privateMode) return;
    if (code === 'K') this.rows[this.row] = '';
    else if (code === 'A') this.row = Math.max(0, this.row - (n || 1));
    else if (code === 'G') this.col = Math.max(0, (n || 1) - 1);
  }

  private moveTo(row: number, col: number): void {
    this.row = row;
    this.col = col;
    while (this.rows.length <= row) this.rows.push('');
  }

  screen(): string[] {
    return this.rows.map((line) => line.trimEnd()).filter((line, i, all) => line !== '' || all.slice(i).some((rest) => rest !== ''));
  }
}

function snapshot(retrying: string | null, rows = 400_000): ProgressSnapshot {
  return {
    rows, committed: rows - 1000, estimatedRows: 1_000_000, rate: 52_345, etaSeconds: 42, splitsDone: 12, splitsRunning: 4, splitsFailed: 0,
    splitsTotal: 64, retries: retrying ? 3 : 0, retrying,
  };
}

const LONG_RETRY = `split 17 on 127.0.0.2:5433, attempt 2 of 6: ${'connection terminated unexpectedly while writing COPY data; '.repeat(4)}`;

describe('the progress display on a terminal', () => {
  for (const columns of [80, 120]) {
    it(`fits ${columns} columns, a long retry included, and leaves no debris as it changes and log lines pass above it`, () => {
      const terminal = new VirtualTerminal(columns);
      const frame: TerminalFrame = terminalFrame(terminal as unknown as NodeJS.WriteStream);
      frame.show(fittedProgress(snapshot(LONG_RETRY), columns));
      frame.print('WARN split retry  split=17 node=127.0.0.2:5433');
      frame.show(fittedProgress(snapshot(null, 600_000), columns));
      frame.print('INFO dashboard  url=http://127.0.0.1:4040/');
      frame.show(fittedProgress(snapshot(null, 1_000_000), columns));
      frame.done();
      const screen = terminal.screen();
      for (const line of screen) expect(line.length).toBeLessThanOrEqual(columns);
      expect(screen).toHaveLength(3);
      expect(screen[0]).toBe('WARN split retry  split=17 node=127.0.0.2:5433');
      expect(screen[1]).toBe('INFO dashboard  url=http://127.0.0.1:4040/');
      expect(screen[2]).toMatch(/100%\s+1,000,000\/1,000,000 rows/);
    });
  }

  it('(the check can fail: redrawing with \\r and erase-line, as c2y did, leaves the wrapped part of a long line behind)', () => {
    const terminal = new VirtualTerminal(80);
    terminal.write(`\r\x1b[2K${'x'.repeat(200)}`);
    terminal.write(`\r\x1b[2K${'y'.repeat(50)}`);
    expect(terminal.screen().length).toBeGreaterThan(1);
  });

  it('shows a log line\'s or a retry\'s escape sequence and newline as text: what a server or Redis says cannot move the cursor or forge a line', () => {
    // Before: "\x1b[1A\x1b[2K" in a worker's error erased the line above, and its "\n" printed a line of its own.
    const terminal = new VirtualTerminal(120);
    const frame: TerminalFrame = terminalFrame(terminal as unknown as NodeJS.WriteStream);
    frame.print('INFO run started');
    frame.print('ERROR split failed  error=boom\x1b[1A\x1b[2K\nINFO run finished');
    frame.show(fittedProgress(snapshot('split 3: refused\x1b[1A\x1b[2Kgone'), 120));
    frame.done();
    const screen = terminal.screen();
    expect(screen[0]).toBe('INFO run started');
    expect(screen[1]).toBe('ERROR split failed  error=boom\\u001b[1A\\u001b[2K\\u000aINFO run finished');
    expect(screen[3]).toMatch(/retrying split 3: refused\\u001b\[1A\\u001b\[2Kgone/);
  });

  it('shows what is retried on its own line, cut to the width with an ellipsis', () => {
    const text = fittedProgress(snapshot(LONG_RETRY), 80).split('\n');
    expect(text).toHaveLength(2);
    expect(text[1]).toMatch(/^ {2}retrying split 17 on 127\.0\.0\.2:5433, attempt 2 of 6: connection terminated/);
    expect(text[1]?.endsWith('…')).toBe(true);
    for (const line of text) expect(line.length).toBeLessThanOrEqual(79);
  });
});
