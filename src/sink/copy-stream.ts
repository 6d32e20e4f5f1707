import { from as copyFrom } from 'pg-copy-streams';
import { C2yError, messageOf, refusalNeedsOperator, serverRefusalHint, serverRefusalOf, serverRefusalStep } from '../errors/index.js';
import { qualifiedName, quoteIdent, targetColumnName, type SourceTable, type TargetName } from '../schema/index.js';
import type { TargetClient } from './target-client.js';

type CopyStream = ReturnType<typeof copyFrom>;

/** COPY into the target with the source's columns, every identifier quoted. */
/** The target table of a run: target.table, or the source table's own name. */
export function targetNameOf(target: { readonly schema: string; readonly table?: string | undefined }, sourceTable: string): TargetName {
  return { schema: target.schema, table: target.table ?? sourceTable };
}

/**
 * Built where it runs, from the planned table and the process's own config: no SQL text travels between processes
 * or machines (a distributed worker would otherwise run whatever a record in Redis says).
 */
export function copyStatement(table: SourceTable, target: TargetName, format: 'text' | 'binary' = 'text'): string {
  const names = copyColumnNames(table);
  return `COPY ${qualifiedName(target)} (${names.map(quoteIdent).join(', ')}) FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`;
}

/** The target columns a COPY names, in its order: the source's (by their target names), then the constants. */
export function copyColumnNames(table: SourceTable): string[] {
  return [...table.columns.map((c) => targetColumnName(c)), ...(table.constants ?? []).map((c) => c.name)];
}

/** COPY binary's stream header (signature, no flags, no extension) and trailer (a field count of -1). */
export const COPY_BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * One COPY FROM STDIN on an open connection. write() resolves when the socket can take more (backpressure),
 * finish() when the server has accepted every row (still inside the caller's transaction), abort() sends CopyFail.
 */
export class CopyIn {
  private failure: Error | undefined;
  private readonly done: Promise<void>;
  /** The server's CommandComplete text ("COPY 5000"); pg-copy-streams keeps only a count that starts at 0. */
  private tag: string | undefined;

  private constructor(private readonly stream: CopyStream) {
    // pg calls it with the CommandComplete message; its typings do not declare it.
    const hooked = stream as unknown as { handleCommandComplete(message: { text?: string } | undefined): void };
    const completed = hooked.handleCommandComplete.bind(stream);
    hooked.handleCommandComplete = (message) => {
      this.tag = message?.text;
      completed(message);
    };
    this.done = new Promise((resolve, reject) => {
      stream.once('finish', () => resolve());
      // on, not once: after the server refused the COPY, pg-copy-streams drops its connection, and ending or writing
      // the stream then raises a second 'error' (a TypeError inside the library); unheard, it would kill the process.
      stream.on('error', (error: Error) => {
        this.failure ??= error;
        reject(this.failure);
      });
    });
    this.done.catch(() => undefined);
  }

  static start(client: TargetClient, sql: string): CopyIn {
    return new CopyIn(client.query(copyFrom(sql)));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        this.stream.off('drain', onDrain);
        reject(error);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  /**
   * Nothing written is held in this process any more: the COPY stream has passed every chunk on and the connection's
   * socket has handed every byte to the kernel (a Writable's length counts a write until its write completes). A
   * buffer written earlier may then be reused. False when pg-copy-streams or pg hold it some way this does not know.
   */
  flushed(): boolean {
    const stream = this.stream as unknown as { writableLength: number; chunks?: unknown[]; connection?: { stream?: { writableLength?: unknown } } | null };
    const socket = stream.connection?.stream;
    return stream.writableLength === 0 && Array.isArray(stream.chunks) && stream.chunks.length === 0 && socket?.writableLength === 0;
  }

  /** Ends the COPY; resolves with the rows the server says it took (undefined: its reply named no count). */
  async finish(): Promise<number | undefined> {
    // A COPY the server already refused must not be ended: its stream has no connection left to end it on.
    if (this.failure) throw this.failure;
    this.stream.end();
    await this.done;
    const counted = /^COPY (\d+)$/.exec(this.tag ?? '');
    return counted ? Number(counted[1]) : undefined;
  }

  /** CopyFail with a reason; resolves once the server has answered, so the transaction can be rolled back. */
  async abort(reason: string): Promise<void> {
    if (this.failure) return;
    this.stream.destroy(new Error(reason));
    await this.done.catch(() => undefined);
  }
}

/**
 * The rows the server took by one COPY against the rows c2y sent, before the checkpoint advances over them: a
 * difference (a row lost or split in framing, a proxy that drops data) fails the transaction, never the checkpoint.
 * A server whose reply names no count cannot be checked here; the run's final count still is.
 */
export function checkCopiedRows(taken: number | undefined, sent: number, splitId: number): void {
  if (taken === undefined || taken === sent) return;
  throw new C2yError('TARGET_COPY_COUNT_MISMATCH', `split ${splitId}: the target took ${taken} rows from a COPY of ${sent}; the transaction was rolled back, nothing of it committed`, {
    hint: 'the split is retried from its last checkpoint; if it recurs, something between c2y and the target alters the COPY stream (a proxy, a pooler): connect directly and resume',
    retryable: true,
    context: { split: splitId, taken, sent },
  });
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the row's data, not the wire, is at fault. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/**
 * The same statement would be refused again, whatever the connection: the data (classes 22, 23), or the objects and
 * grants the statement names (class 42). An operator's fix comes first; retries only delay saying so.
 */
export function retryCannotHelp(error: unknown): boolean {
  const refusal = serverRefusalOf(error);
  return isDataError(error) || (refusal !== undefined && refusalNeedsOperator(refusal));
}

export function copyFailed(error: unknown, context: Record<string, string | number>): C2yError {
  const refusal = serverRefusalOf(error);
  const said = refusal === undefined ? messageOf(error) : `${refusal.message} (SQLSTATE ${refusal.sqlstate})`;
  return new C2yError('TARGET_WRITE_FAILED', `COPY into the target failed: ${said}`, { ...copyFailureNextStep(error), context });
}

/** What the split does next (retry or not) and what the user does, from what refused the COPY. */
function copyFailureNextStep(error: unknown): { hint: string; retryable: boolean } {
  // A refusal of the data comes back the same on every attempt: retrying it only delays the failure.
  if (isDataError(error)) {
    return { hint: 'the target refused the data itself (not a connection problem): fix the value, the target table, or set onError: reject; then resume', retryable: false };
  }
  const refusal = serverRefusalOf(error);
  if (refusal !== undefined && retryCannotHelp(error)) return { hint: serverRefusalHint(refusal, 'resume'), retryable: false };
  const step = refusal === undefined ? undefined : serverRefusalStep(refusal);
  // Retried by c2y first: the hint is for when the retries run out (the report's and the run's last word).
  if (step !== undefined) return { hint: `${step}; then resume`, retryable: true };
  return { hint: 'c2y retries the split from its last checkpoint; if the retries run out, fix what the message names (a value, a node), then resume', retryable: true };
}
