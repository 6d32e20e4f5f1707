import { from as copyFrom } from 'pg-copy-streams';
import { C2yError, messageOf } from '../errors/index.js';
import { qualifiedName, quoteIdent, type SourceTable, type TargetName } from '../schema/index.js';
import type { TargetClient } from './target-client.js';

type CopyStream = ReturnType<typeof copyFrom>;

/** COPY into the target with the source's columns, every identifier quoted. */
export function copyStatement(table: SourceTable, target: TargetName): string {
  return `COPY ${qualifiedName(target)} (${table.columns.map((c) => quoteIdent(c.name)).join(', ')}) FROM STDIN`;
}

/**
 * One COPY FROM STDIN on an open connection. write() resolves when the socket can take more (backpressure),
 * finish() when the server has accepted every row (still inside the caller's transaction), abort() sends CopyFail.
 */
export class CopyIn {
  private failure: Error | undefined;
  private readonly done: Promise<void>;

  private constructor(private readonly stream: CopyStream) {
    this.done = new Promise((resolve, reject) => {
      stream.once('finish', () => resolve());
      stream.once('error', (error: Error) => {
        this.failure = error;
        reject(error);
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

  async finish(): Promise<void> {
    this.stream.end();
    await this.done;
  }

  /** CopyFail with a reason; resolves once the server has answered, so the transaction can be rolled back. */
  async abort(reason: string): Promise<void> {
    if (this.failure) return;
    this.stream.destroy(new Error(reason));
    await this.done.catch(() => undefined);
  }
}

export function copyFailed(error: unknown, context: Record<string, string | number>): C2yError {
  return new C2yError('TARGET_WRITE_FAILED', `COPY into the target failed: ${messageOf(error)}`, {
    hint: 'the split is retried from its last checkpoint; if it keeps failing, the message above names the value or node',
    retryable: true,
    context,
  });
}
