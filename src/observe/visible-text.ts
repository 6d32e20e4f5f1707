/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides and isolates, which a terminal acts on or which
 * reorder what it shows: an escape sequence can retitle the window, write the clipboard (OSC 52) or hide text, a
 * newline can forge a line of its own, and a right-to-left override can make text read other than it is.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of text for a terminal, whatever it holds: each unsafe character shown as its \u escape. For text c2y
 * did not write itself (a record in Redis, a worker's name, a server's message) on its way to an operator's screen.
 */
export function visibleLine(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
