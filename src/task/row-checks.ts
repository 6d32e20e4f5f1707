import { isDataError } from '../sink/index.js';
import { writtenSinceColumns, type SourceTable } from '../schema/index.js';
import type { ScanPage } from '../source/index.js';

/**
 * A catch-up's test: the row's newest write time (over its write-time columns) is before the cut-off. A row with no
 * write time at all (every timed cell null) is not older: it is written, and the merge leaves it as it is if equal.
 */
export function olderCheck(table: SourceTable): ((page: ScanPage, index: number) => boolean) | undefined {
  const since = table.writtenSince;
  if (since === undefined) return undefined;
  const columns = writtenSinceColumns(table);
  return (page, index) => {
    let newest: number | null = null;
    for (const column of columns) {
      const stamp = page.int64(index, column);
      if (stamp !== null && (newest === null || stamp > newest)) newest = stamp;
    }
    return newest !== null && newest < since;
  };
}

/** A row whose clustering columns are null: Cassandra's answer for a partition that holds only static cells. */
export function staticOnlyCheck(table: SourceTable): (page: ScanPage, index: number) => boolean {
  const first = table.columns.findIndex((column) => column.role === 'clustering');
  if (first < 0) return () => false;
  return (page, index) => page.isNull(index, first);
}

/**
 * A COPY error about one row's data (SQLSTATE class 22, a value; class 23, a constraint such as NOT NULL or a unique
 * key): the line PostgreSQL names, its column and message. Such an error is isolated to its row, never retried.
 */
export function refusedLine(error: unknown): { line: number; column: string; message: string } | undefined {
  if (!isDataError(error)) return undefined;
  const pgError = error as { where?: unknown; message?: unknown; column?: unknown; constraint?: unknown; detail?: unknown };
  if (typeof pgError.where !== 'string') return undefined;
  const match = /COPY [^,]*, line (\d+)(?:, column ([^:]+))?/.exec(pgError.where);
  if (!match) return undefined;
  const column = match[2] ?? (typeof pgError.column === 'string' ? pgError.column : typeof pgError.constraint === 'string' ? `(constraint ${pgError.constraint})` : '(row)');
  const detail = typeof pgError.detail === 'string' ? ` (${pgError.detail})` : '';
  return { line: Number(match[1]), column, message: `${String(pgError.message)}${detail}` };
}

/** A line's identity across scans of the same range: its token and the hash of its key's COPY text. */
export function lineIdentity(token: bigint, keyHash: number): string {
  return `${token}:${keyHash}`;
}

/** The identity of each COPY line of the open transaction, in line order; 16 bytes a row. */
export class LineKeys {
  private tokens = new BigInt64Array(1024);
  private hashes = new Float64Array(1024);
  private count = 0;

  add(token: bigint, keyHash: number): void {
    if (this.count === this.tokens.length) {
      const tokens = new BigInt64Array(this.count * 2);
      tokens.set(this.tokens);
      const hashes = new Float64Array(this.count * 2);
      hashes.set(this.hashes);
      this.tokens = tokens;
      this.hashes = hashes;
    }
    this.tokens[this.count] = token;
    this.hashes[this.count] = keyHash;
    this.count++;
  }

  /** PostgreSQL's line numbers start at 1. */
  identityOf(line: number): string | undefined {
    if (line < 1 || line > this.count) return undefined;
    return lineIdentity(this.tokens[line - 1] as bigint, this.hashes[line - 1] as number);
  }

  clear(): void {
    this.count = 0;
  }
}
