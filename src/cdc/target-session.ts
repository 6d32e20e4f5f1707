import { CodedError } from '../errors/index.js';
import { retryCannotHelp, type TargetClient } from '../sink/index.js';

/**
 * The live apply's connection to the target, opened anew after a failure: a connection the target dropped (a restart,
 * a failover, an idle timeout) cannot be used again, and a live apply runs for hours.
 */
export class TargetSession {
  /** The step holding the connection: a keyspace's tables apply over one connection, a transaction at a time. */
  private held: Promise<unknown> = Promise.resolve();

  private constructor(private readonly connect: () => Promise<TargetClient>, private current: TargetClient) {}

  static async open(connect: () => Promise<TargetClient>): Promise<TargetSession> {
    return new TargetSession(connect, await connect());
  }

  get client(): TargetClient {
    return this.current;
  }

  /** Runs `step` once no other step holds the connection (its BEGIN … COMMIT must not interleave with another's). */
  exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.held.then(step, step);
    this.held = run.catch(() => undefined);
    return run;
  }

  /** Ends the connection and opens another; should the open fail, the next reopen tries again. */
  async reopen(): Promise<void> {
    await this.current.end().catch(() => undefined);
    this.current = await this.connect();
  }

  async end(): Promise<void> {
    await this.current.end().catch(() => undefined);
  }
}

/**
 * Whether applying a batch again may succeed: not when c2y said the failure is for good (a value the target cannot
 * hold, a setup error) or the target refused the data itself (SQLSTATE classes 22 and 23) or named what is not
 * there or not granted (class 42: a column renamed, a grant revoked); a dropped connection, a
 * node that timed out, anything unknown, yes. A batch applied again writes the same rows (see applyBatch).
 */
export function worthApplyingAgain(error: unknown): boolean {
  if (error instanceof CodedError) return error.retryable;
  return !retryCannotHelp(error);
}
