import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { C2yError, messageOf } from '../errors/index.js';

/**
 * Every file a run writes goes through here, so a full disk or a read-only folder is one typed error naming the
 * file, never a stack trace. Rows and checkpoints live in the target, so a failed write here never loses data.
 */
export class RunFolder {
  /** The first failed write, kept so the run can stop on it and report it at the end. */
  failure: C2yError | undefined;

  private constructor(readonly path: string) {}

  /** Creates the folder and proves it can be written, before any row moves. */
  static open(path: string): RunFolder {
    try {
      mkdirSync(path, { recursive: true });
      const probe = join(path, '.c2y-write-test');
      writeFileSync(probe, 'ok');
      rmSync(probe, { force: true });
    } catch (error) {
      throw new C2yError('RUN_FOLDER_UNWRITABLE', `cannot write the run folder ${path}: ${messageOf(error)}`, {
        hint: 'set runDir (or C2Y_RUN_DIR) to a folder you can write; nothing was migrated',
      });
    }
    return new RunFolder(path);
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
      writeFileSync(join(this.path, file), text);
    } catch (error) {
      throw this.failed(file, error);
    }
  }

  /** Appends; on failure records it and returns false, so a log line never throws into the run. */
  tryAppend(file: string, text: string): boolean {
    try {
      appendFileSync(join(this.path, file), text);
      return true;
    } catch (error) {
      this.failed(file, error);
      return false;
    }
  }
}
