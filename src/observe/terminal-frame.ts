import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import { visibleLine } from './visible-text.js';

/**
 * The bottom of a terminal that c2y redraws (the progress display), with log lines printed above it rather than on
 * it. log-update erases exactly the lines it drew last, so a resized or narrow terminal is left without debris.
 */
export interface TerminalFrame {
  /** Columns of the terminal now (80 when it does not say). */
  readonly columns: () => number;
  /** Replaces what the frame shows. */
  show(text: string): void;
  /** A log line above the frame: the frame is lifted, the line printed, the frame drawn again. */
  print(line: string): void;
  /** Leaves the last frame on screen, and stops redrawing it. */
  done(): void;
}

export function terminalFrame(stream: NodeJS.WriteStream): TerminalFrame {
  const update = createLogUpdate(stream, { showCursor: true });
  let shown = '';
  return {
    columns: () => stream.columns ?? 80,
    show(text) {
      // Names and messages in the frame come from the source, the target and Redis: shown, never acted on.
      shown = text.split('\n').map(visibleLine).join('\n');
      update(shown);
    },
    print(text) {
      const line = visibleLine(text);
      if (shown === '') {
        stream.write(line + '\n');
        return;
      }
      update.clear();
      stream.write(line + '\n');
      update(shown);
    },
    done() {
      if (shown !== '') update.done();
      shown = '';
    },
  };
}

/** Each line cut to the width (one column spare, so no terminal wraps it), with an ellipsis where it was cut. */
export function fitLines(lines: readonly string[], columns: number): string {
  return lines.map((line) => cliTruncate(line, Math.max(10, columns - 1), { position: 'end' })).join('\n');
}
