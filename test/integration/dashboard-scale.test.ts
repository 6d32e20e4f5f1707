/// <reference lib="dom" />
import { request } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard, type DashboardState } from '../../src/ui/index.js';

/**
 * The dashboard at CDM's default part count: 5,000 splits, 64 streams. This tests the view, not a migration, so its
 * state is made here: every second the running splits gain rows and a few finish while others start.
 */
const SPLITS = 5000;
const STREAMS = 64;

type Split = DashboardState['splits'][number];

class FakeRun {
  readonly splits: Split[] = Array.from({ length: SPLITS }, (_, id) => ({ id, state: 'pending', rows: 0, attempts: 0, node: null, executor: null, lastError: null }));
  private next = 0;
  private second = 0;

  constructor() {
    while (this.next < STREAMS) this.start();
  }

  private start(): void {
    const id = this.next++;
    if (id < SPLITS) this.splits[id] = { ...(this.splits[id] as Split), state: 'running', attempts: 1, node: `127.0.0.${(id % 3) + 1}:5433`, executor: id % 4 };
  }

  /** One second of the run: each running split gains rows; every tenth finishes and the next one starts. */
  tick(): void {
    this.second++;
    for (const [index, split] of this.splits.entries()) {
      if (split.state !== 'running') continue;
      const done = (split.id + this.second) % 10 === 0;
      this.splits[index] = { ...split, rows: split.rows + 1000 + (split.id % 97), state: done ? 'done' : 'running' };
      if (done) this.start();
    }
  }

  state(): DashboardState {
    const count = (state: string): number => this.splits.filter((split) => split.state === state).length;
    return {
      kind: 'migrate', runId: '20261130-000000-abcdef', status: 'running', live: true, source: 'shop.events', target: 'public.events',
      startedAt: new Date(0).toISOString(), updatedAt: new Date().toISOString(),
      progress: {
        rows: this.splits.reduce((sum, split) => sum + split.rows, 0), committed: 0, estimatedRows: 50_000_000, rowsPerSecond: 70_000, etaSeconds: 600,
        elapsedSeconds: this.second, splitsDone: count('done'), splitsRunning: count('running'), splitsFailed: 0, splitsTotal: SPLITS, retries: 0, rejected: 0, bytes: 0, commits: 0, throttledSeconds: 12.5,
      },
      history: Array.from({ length: this.second }, (_, t) => [t, 70_000 + t] as const),
      executors: [], splits: this.splits.map((split) => ({ ...split })), nodes: [], planned: null, config: { parallelism: SPLITS },
    };
  }
}

let browser: Browser;
let dashboard: Dashboard;
const run = new FakeRun();
let ticker: NodeJS.Timeout;

beforeAll(async () => {
  dashboard = await startDashboard({ host: '127.0.0.1', port: 0, state: () => run.state(), secrets: [], refreshMs: 1000 });
  ticker = setInterval(() => run.tick(), 1000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  clearInterval(ticker);
  await browser?.close();
  await dashboard?.close();
});

/** Bytes the /events stream sends: the first event (the whole state) apart from everything after it. */
function measureEvents(url: string, seconds: number): Promise<{ first: number; after: number; patches: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, (response) => {
      let first = 0;
      let after = 0;
      let patches = 0;
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (first === 0) {
          buffered += chunk;
          const end = buffered.indexOf('\n\n');
          if (end < 0) return;
          first = Buffer.byteLength(buffered.slice(0, end + 2));
          chunk = buffered.slice(end + 2);
          setTimeout(() => {
            req.destroy();
            resolve({ first, after, patches });
          }, seconds * 1000);
        }
        after += Buffer.byteLength(chunk);
        patches += chunk.split('event: patch').length - 1;
      });
    });
    req.on('error', (error) => ((error as { code?: string }).code === 'ECONNRESET' ? undefined : reject(error)));
    req.end();
  });
}

describe('dashboard with 5,000 splits', () => {
  it('sends changes, not the whole state: under 50 KB a second after the first event', async () => {
    const seconds = 6;
    const measured = await measureEvents(dashboard.url, seconds);
    // The whole state is large (that is what it would cost every second) ...
    expect(measured.first).toBeGreaterThan(400_000);
    // ... and the updates after it are small.
    expect(measured.patches).toBeGreaterThanOrEqual(seconds - 1);
    expect(measured.after / seconds).toBeLessThan(50_000);
  }, 30_000);

  it('applies each update in milliseconds, the splits tab showing every split, and shows the rows that changed', async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.click('nav button[data-tab="splits"]');
    await page.waitForFunction((n) => document.querySelectorAll('#splits-table tbody tr').length === n, SPLITS);
    const before = Number(await page.evaluate(() => document.body.dataset['updates'] ?? 0));
    await page.waitForFunction((n) => Number(document.body.dataset['updates'] ?? 0) >= n + 5, before, { timeout: 20_000 });
    const applyMs = await page.evaluate(() => (window as unknown as { c2yApplyMs: number[] }).c2yApplyMs.slice());
    const sorted = [...applyMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    console.log(`apply an update with the splits tab open: median ${median.toFixed(1)} ms, max ${Math.max(...applyMs).toFixed(1)} ms over ${applyMs.length} updates`);
    expect(median).toBeLessThan(25);
    expect(Math.max(...applyMs)).toBeLessThan(250);
    // What the page shows is what the server holds: a running split's rows, read after one more update.
    const updates = Number(await page.evaluate(() => document.body.dataset['updates']));
    await page.waitForFunction((n) => Number(document.body.dataset['updates'] ?? 0) > n, updates);
    const served = dashboard.current().splits;
    const shown = await page.evaluate(() => Array.from(document.querySelectorAll('#splits-table tbody tr')).map((row) => (row as HTMLTableRowElement).innerText.split('\t')));
    expect(shown).toHaveLength(SPLITS);
    const mismatched = served.filter((split, index) => shown[index]?.[0] !== String(split.id) || shown[index]?.[1] !== split.state || shown[index]?.[2] !== split.rows.toLocaleString('en-US'));
    // At most the splits of an update that landed between the two reads differ.
    expect(mismatched.length).toBeLessThanOrEqual(STREAMS + STREAMS / 10 + 1);
    // The time streams waited for the run's rate limits, on the overview and in /metrics.
    await page.click('nav button[data-tab="overview"]');
    expect(await page.locator('#cards').innerText()).toMatch(/throttled\s*12\.5 s/);
    expect(await (await fetch(`${dashboard.url}metrics`)).text()).toMatch(/c2y_throttled_seconds_total\{run="[^"]+",table="shop.events"\} 12.5/);
    await page.close();
  }, 60_000);
});
