/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEventsDigest } from '../helpers/events-digest.js';
import { migrateFixture, type MigrateFixture } from '../helpers/migrate-fixture.js';
import { killGroup, spawnC2y } from '../helpers/run-cli.js';
import { untilFound } from '../helpers/wait.js';

let fx: MigrateFixture;
let browser: Browser;
/**
 * Rows, in small commits, paced (PACE rows/s) so the run outlives every check made while it is live, whatever the
 * machine's speed: ≥ 13 s. (Unpaced, raw pages needed 200K rows, and loading them was most of this file's time.)
 */
const ROWS = 40_000;
const PACE = 3000;
const ARTIFACTS = resolve('test-artifacts');
/** A password the test bed (trust auth) never asks for: it must still appear nowhere the dashboard serves. */
const SECRET = 'dashboard-secret-7f3a9c';

beforeAll(async () => {
  fx = await migrateFixture(ROWS, 'ui');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await fx?.close();
});

describe('live dashboard', () => {
  it('shows one executors row per executor with changing numbers, live node connections and /metrics, during a real migration', async () => {
    const run = spawnC2y(fx.args('dash', ['--executors', '2', '--cores', '1', '--parallelism', '8', '--split-size-mb', '0.5', '--copy-flush-every', '200', '--set', 'source.fetchSize=200', '--set', `target.rowsPerSecond=${PACE}`, '--ui-port', '4640']), { C2Y_TARGET_PASSWORD: SECRET });
    try {
      const url = await untilFound('the dashboard URL in the log', () => /"msg":"dashboard"[^}]*"url":"([^"]+)"/.exec(run.stderrSoFar())?.[1]);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:46\d\d\/$/);
      const page = await browser.newPage();
      await page.goto(url);
      await page.click('nav button[data-tab="executors"]');
      const executorRows = page.locator('#executors-table tbody tr');
      await page.waitForFunction(() => Number(document.body.dataset['updates'] ?? 0) >= 2 && document.querySelectorAll('#executors-table tbody tr').length === 2);
      const first = await executorRows.allInnerTexts();
      const updatesBefore = Number(await page.evaluate(() => document.body.dataset['updates']));
      await page.waitForFunction((n) => Number(document.body.dataset['updates'] ?? 0) >= n + 2, updatesBefore);
      const second = await executorRows.allInnerTexts();
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(2);
      expect(second).not.toEqual(first);
      // Each row: executor, memory used / total, peak RSS, heap, peak heap, GC, CPU, wait Cassandra / transcode /
      // wait target, bound by, active, completed, failed, rows.
      for (const row of second) {
        const cells = row.split('\t');
        expect(cells).toHaveLength(13);
        expect(cells[8]).toMatch(/^(source-bound|target-bound|CPU-bound|idle)$/);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-executors.png'), fullPage: true });

      await page.click('nav button[data-tab="nodes"]');
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#nodes-table tbody tr td:nth-child(4)')).some((cell) => Number(cell.textContent) > 0));
      expect(await page.locator('#nodes-table tbody tr').count()).toBe(3);
      // What the run's backends on the driver's node were doing, sampled every second (paced run: several samples).
      await page.waitForFunction(() => /^Target waits \(127\.0\.0\.\d:5433, \d+ samples\): /.test(document.querySelector('#target-waits')?.textContent ?? ''));
      await page.click('nav button[data-tab="overview"]');
      await page.waitForSelector('#chart polyline');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
      await page.click('nav button[data-tab="config"]');
      const configText = await page.locator('#config-json').innerText();
      expect(configText).toContain('"password": "***"');

      const metrics = await (await fetch(`${url}metrics`)).text();
      expect(metrics).toMatch(/c2y_rows_written_total\{run="[^"]+",table="[^"]+\.events"\} \d+/);
      expect(metrics).toMatch(/c2y_executor_rss_bytes\{run="[^"]+",table="[^"]+",executor="1"\} \d+/);
      expect(metrics).toMatch(/c2y_streams_opened_total\{run="[^"]+",table="[^"]+",node="127\.0\.0\.\d:5433"\}/);
      expect(metrics).toContain('c2y_driver_process_cpu_user_seconds_total');
      expect(metrics).toMatch(/c2y_target_backend_samples_total\{run="[^"]+",table="[^"]+",wait="[^"]+"\} [1-9]\d*/);
      // Latencies as Prometheus histograms, and on the overview.
      expect(metrics).toMatch(/c2y_page_read_seconds_bucket\{run="[^"]+",table="[^"]+",le="\+Inf"\} [1-9]\d*/);
      expect(metrics).toMatch(/c2y_commit_seconds_count\{run="[^"]+",table="[^"]+"\} [1-9]\d*/);
      await page.click('nav button[data-tab="overview"]');
      expect(await page.locator('#cards').innerText()).toMatch(/page read p50 \/ p99\s*[\d.]+ \/ [\d.]+ ms/);
      for (const phase of ['source_wait', 'transcode', 'target_wait', 'cpu']) {
        expect(metrics).toMatch(new RegExp(`c2y_executor_${phase}_seconds_total\\{run="[^"]+",table="[^"]+",executor="\\d"\\} [\\d.e+-]+`));
      }
      const state = await (await fetch(`${url}api/state`)).text();
      for (const served of [metrics, state, configText, await page.content()]) expect(served).not.toContain(SECRET);
      await page.close();
    } catch (error) {
      killGroup(run.child);
      throw error;
    }
    const result = await run.result;
    expect(result.code).toBe(0);
    expect(await postgresEventsDigest(fx.db, 'dash')).toEqual(fx.sourceDigest);

    // After the run: `c2y ui <run folder>` serves the same pages read-only from the folder.
    const runId = /"runId":"(\d{8}-\d{6}-[0-9a-f]+)"/.exec(result.stderr)?.[1] as string;
    const folder = join(fx.runDir, runId);
    const saved = JSON.parse(readFileSync(join(folder, 'dashboard.json'), 'utf8')) as { status: string; executors: unknown[]; progress: { committed: number } };
    expect(saved).toMatchObject({ status: 'finished', progress: { committed: ROWS } });
    expect(saved.executors).toHaveLength(2);
    const ui = spawnC2y(['ui', folder, '--port', '4660']);
    try {
      const uiUrl = await untilFound('c2y ui to serve', () => /read-only at (http:\S+)/.exec(ui.stdoutSoFar())?.[1]);
      const page = await browser.newPage();
      await page.goto(uiUrl);
      await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'finished (read-only)');
      // Only the visible tab is drawn.
      expect(await page.locator('#executors-table tbody tr').count()).toBe(0);
      await page.click('nav button[data-tab="executors"]');
      expect(await page.locator('#executors-table tbody tr').count()).toBe(2);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-read-only.png'), fullPage: true });
      await page.close();
    } finally {
      ui.child.kill('SIGTERM');
      await ui.result;
    }
  }, 240_000);
});
