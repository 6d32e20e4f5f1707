import { C2yError } from '../errors/index.js';
import { murmur3Token } from './murmur3-token.js';
import type { RawPage } from './raw-page-hook.js';

/** A range scan's statement read without `token(…)`: where its partition keys lie, and the tokens it may return. */
export interface ClientTokens {
  /** The page cells of the partition key's columns, in the key's order. */
  readonly keyCells: readonly number[];
  /** The statement's range ]after, upTo]: every row's token lies in it, in order. */
  readonly after: bigint;
  readonly upTo: bigint;
  readonly describe: string;
}

/**
 * Rows' tokens from their partition keys' bytes: hashed once per partition (a row whose key bytes equal the last
 * hashed row's takes its token), each checked to lie in the statement's range and not below the page's earlier
 * tokens, as Cassandra returns them. A hash that disagreed with Cassandra's would break that order within a few
 * partitions: the split stops (SOURCE_TOKEN_MISMATCH) rather than checkpoint a token its rows do not have.
 */
export function clientTokenOf(page: RawPage, width: number, spec: ClientTokens): (row: number) => bigint {
  const { buffer: bytes, starts, lengths } = page;
  const keyCells = Int32Array.from(spec.keyCells);
  const single = keyCells.length === 1 ? (keyCells[0] as number) : -1;
  let key = Buffer.alloc(64);
  // The row whose token `token` is (hashed there, or found with the same key bytes there).
  let tokenRow = -1;
  let token = 0n;
  // The furthest row hashed so far and its token: a row past it must not hash lower.
  let furthestRow = -1;
  let furthest = spec.after;
  /** Whether `row`'s key cells hold the same bytes as tokenRow's: byte loops, keys being short. */
  const sameKey = (row: number): boolean => {
    const a = tokenRow * width;
    const b = row * width;
    for (let k = 0; k < keyCells.length; k++) {
      const cellA = a + (keyCells[k] as number);
      const cellB = b + (keyCells[k] as number);
      const length = lengths[cellA] as number;
      if (length !== lengths[cellB]) return false;
      for (let x = starts[cellA] as number, y = starts[cellB] as number, end = x + length; x < end; x++, y++) if (bytes[x] !== bytes[y]) return false;
    }
    return true;
  };
  const hash = (row: number): bigint => {
    if (single >= 0) {
      // One key column: its cell's bytes are the serialized key, hashed where they lie.
      const start = starts[row * width + single] as number;
      return murmur3Token(bytes, start, start + Math.max(0, lengths[row * width + single] as number));
    }
    const length = compositeLength(page, row * width, spec.keyCells);
    if (key.length < length) key = Buffer.alloc(length * 2);
    return murmur3Token(key, 0, writeComposite(page, row * width, spec.keyCells, key));
  };
  return (row) => {
    if (row === tokenRow) return token;
    if (tokenRow >= 0 && sameKey(row)) {
      tokenRow = row;
      return token;
    }
    token = hash(row);
    const inOrder = row <= furthestRow || token >= furthest;
    if (!(token > spec.after && token <= spec.upTo) || !inOrder) throw tokenMismatch(spec, token, furthest);
    if (row > furthestRow) {
      furthestRow = row;
      furthest = token;
    }
    tokenRow = row;
    return token;
  };
}

function compositeLength(page: RawPage, rowBase: number, keyCells: readonly number[]): number {
  return keyCells.reduce((sum, column) => sum + 3 + Math.max(0, page.lengths[rowBase + column] as number), 0);
}

/**
 * A composite key serialized as Cassandra hashes it (CompositeType, see compositeKey): each component as a 2-byte
 * length, its bytes and an end-of-component 0. Copied byte by byte: key cells are short, and a Buffer.copy per cell
 * is a native call. Returns its end in `into`.
 */
function writeComposite(page: RawPage, rowBase: number, keyCells: readonly number[], into: Buffer): number {
  const bytes = page.buffer;
  let at = 0;
  for (const column of keyCells) {
    const from = page.starts[rowBase + column] as number;
    const length = Math.max(0, page.lengths[rowBase + column] as number);
    into[at++] = length >>> 8;
    into[at++] = length & 0xff;
    for (let index = 0; index < length; index++) into[at++] = bytes[from + index] as number;
    into[at++] = 0;
  }
  return at;
}

function tokenMismatch(spec: ClientTokens, token: bigint, highest: bigint): C2yError {
  return new C2yError('SOURCE_TOKEN_MISMATCH', `a row of ${spec.describe} hashed to token ${token}, outside the statement's range or below an earlier row's token ${highest}: c2y's Murmur3 disagrees with the cluster's`, {
    hint: 'nothing of this row was written; set source.rawPages: false to read every token from Cassandra, and report this with the table\'s partition key types',
    retryable: false,
    context: { token: token.toString(), after: spec.after.toString(), upTo: spec.upTo.toString() },
  });
}
