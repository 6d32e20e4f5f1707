import { appendFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { C2yError, messageOf } from '../errors/index.js';
import { isRunId } from '../sink/index.js';

/** Run folders hold row values (rejects.jsonl, diff.jsonl) and logs: only their owner reads them. */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Every file a run writes goes through here, so a full disk or a read-only folder is one typed error naming the
 * file, never a stack trace. Rows and checkpoints live in the target, so a failed write here never loses data.
 */
export class RunFolder {
  /** The first failed write, kept so the run can stop on it and report it at the end. */
  failure: C2yError | undefined;

  private constructor(readonly path: string) {}

  /**
   * Creates the folder and proves it can be written, before any row moves. Folders it creates are the owner's only;
   * an existing one is left as it is (runDir may be a folder the user shares on purpose).
   */
  static open(path: string): RunFolder {
    try {
      mkdirSync(path, { recursive: true, mode: FOLDER_MODE });
      const probe = join(path, '.c2y-write-test');
      writeFileSync(probe, 'ok', { mode: FILE_MODE });
      rmSync(probe, { force: true });
    } catch (error) {
      throw new C2yError('RUN_FOLDER_UNWRITABLE', `cannot write the run folder ${path}: ${messageOf(error)}`, {
        hint: 'set runDir (or C2Y_RUN_DIR) to a folder you can write; nothing was migrated',
      });
    }
    return new RunFolder(path);
  }

  /** One run's own folder under runDir: the id is checked before it becomes a path, and the folder is made 0700. */
  static forRun(root: string, runId: string): RunFolder {
    if (!isRunId(runId)) throw new C2yError('RUN_ID_INVALID', `"${runId.slice(0, 120)}" is not a run id`, { hint: 'run ids look like 20261125-144012-3fa9c1' });
    const folder = RunFolder.open(join(root, runId));
    try {
      chmodSync(folder.path, FOLDER_MODE);
    } catch (error) {
      throw folder.failed('.', error);
    }
    return folder;
  }

  private failed(file: string, error: unknown): C2yError {
    const failure = new C2yError('RUN_FOLDER_UNWRITABLE', `writing ${join(this.path, file)} failed: ${messageOf(error)}`, {
      hint: 'free space in (or fix) the run folder; committed rows and checkpoints are safe in the target, so the run resumes where it stopped',
    });
    this.failure ??= failure;
    return failure;
  }

  write(file: string, text: string): void {
    try {
      const path = join(this.path, file);
      writeFileSync(path, text, { mode: FILE_MODE });
      // mode applies only to a new file; a resumed run's files may predate it.
      chmodSync(path, FILE_MODE);
    } catch (error) {
      throw this.failed(file, error);
    }
  }

  /** Appends; on failure records it and returns false, so a log line never throws into the run. */
  tryAppend(file: string, text: string): boolean {
    try {
      appendFileSync(join(this.path, file), text, { mode: FILE_MODE });
      return true;
    } catch (error) {
      this.failed(file, error);
      return false;
    }
  }
}
