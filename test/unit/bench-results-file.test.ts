import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unusedName } from '../../bench/lib/results-file.js';

describe('a bench results file', () => {
  it('never replaces an earlier run\'s file of the same day, commit and scenario: -2, -3, … instead', () => {
    const folder = mkdtempSync(join(tmpdir(), 'c2y-results-'));
    const base = join(folder, '2026-12-03-0398b9f-limits');
    expect(unusedName(base)).toBe(`${base}.json`);
    writeFileSync(`${base}.json`, '{}');
    expect(unusedName(base)).toBe(`${base}-2.json`);
    writeFileSync(`${base}-2.json`, '{}');
    expect(unusedName(base)).toBe(`${base}-3.json`);
    rmSync(folder, { recursive: true });
  });
});
