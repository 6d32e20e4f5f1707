import { createHmac, timingSafeEqual } from 'node:crypto';
import { C2yError } from '../errors/index.js';

/** Environment variable holding the key shared by a run's driver and its workers. */
export const RUN_KEY_ENV = 'C2Y_RUN_KEY';
const MIN_KEY_CHARS = 16;

/** What a signature covers: the kind keeps a record's MAC from passing as a job's, the run id keeps runs apart. */
export type SignedKind = 'run-record' | 'split-job' | 'run-limits' | 'cdc-published';

/**
 * HMAC-SHA256 over what the driver writes to Redis and the workers act on. Redis is a message bus, not an
 * authority: anyone who can write to it could otherwise point workers at their own hosts or change a task.
 */
export class RunSigner {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: string): RunSigner {
    return new RunSigner(Buffer.from(key, 'utf8'));
  }

  /** The key from C2Y_RUN_KEY; a missing or short key is refused up front, before anything connects. */
  static fromEnv(env: NodeJS.ProcessEnv, who: string): RunSigner {
    const key = env[RUN_KEY_ENV];
    if (key === undefined || key.length < MIN_KEY_CHARS) {
      throw new C2yError('RUN_KEY_MISSING', `${who} needs ${RUN_KEY_ENV}: ${key === undefined ? 'it is not set' : `it is shorter than ${MIN_KEY_CHARS} characters`}`, {
        hint: `set the same secret for the driver and every worker, e.g. export ${RUN_KEY_ENV}=$(openssl rand -hex 32); workers act only on runs and splits signed with it`,
      });
    }
    return RunSigner.fromKey(key);
  }

  sign(kind: SignedKind, runId: string, body: string): string {
    return createHmac('sha256', this.key).update(`${kind}\n${runId}\n`).update(body).digest('hex');
  }

  verify(kind: SignedKind, runId: string, body: string, mac: unknown): boolean {
    if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
    return timingSafeEqual(Buffer.from(this.sign(kind, runId, body), 'hex'), Buffer.from(mac, 'hex'));
  }
}
