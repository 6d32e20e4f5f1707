import { existsSync, mkdtempSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFolder } from '../../src/workflow/index.js';
import { isRunId } from '../../src/sink/index.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('run folders', () => {
  it('are 0700 with 0600 files (rejects and diffs hold row values), also when a resumed run finds older, wider files', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'c2y-perm-')), 'runs');
    const folder = RunFolder.forRun(root, '20261130-101010-abcdef');
    folder.write('report.json', '{}');
    folder.tryAppend('rejects.jsonl', '{"row":1}\n');
    expect(mode(root)).toBe(0o700);
    expect(mode(folder.path)).toBe(0o700);
    expect(mode(join(folder.path, 'report.json'))).toBe(0o600);
    expect(mode(join(folder.path, 'rejects.jsonl'))).toBe(0o600);

    const old = join(root, '20261130-101010-000000');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    writeFileSync(join(old, 'config.json'), '{}', { mode: 0o644 });
    chmodSync(join(old, 'config.json'), 0o644);
    const resumed = RunFolder.forRun(root, '20261130-101010-000000');
    resumed.write('config.json', '{}');
    expect(mode(old)).toBe(0o700);
    expect(mode(join(old, 'config.json'))).toBe(0o600);
  });

  it('leaves an existing runDir as the user made it (it may be shared on purpose)', () => {
    const root = mkdtempSync(join(tmpdir(), 'c2y-perm-'));
    chmodSync(root, 0o755);
    RunFolder.forRun(root, '20261130-101010-abcdef');
    expect(mode(root)).toBe(0o755);
  });

  it('refuses a run id that is not one before it becomes a path', () => {
    const root = mkdtempSync(join(tmpdir(), 'c2y-perm-'));
    for (const bad of ['../../etc', '..', 'a/b', '', '.hidden', 'x'.repeat(200), 'a\nb', 'C:\\x']) {
      expect(isRunId(bad)).toBe(false);
      expect(() => RunFolder.forRun(root, bad)).toThrow(/RUN_ID_INVALID|is not a run id/);
    }
    expect(existsSync(join(root, '..', 'etc'))).toBe(false);
    expect(isRunId('20261130-101010-abcdef')).toBe(true);
    expect(isRunId('validate-20261130-101010-abcdef')).toBe(true);
  });
});
