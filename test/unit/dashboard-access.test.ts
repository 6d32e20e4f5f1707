import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStats } from '../../src/observe/index.js';
import { dashboardState, dashboardToken, RateHistory, startDashboard, type Dashboard, type DashboardState } from '../../src/ui/index.js';

/** A password holding the characters JSON and Prometheus text escape. */
const SECRET = 'pw"with\\quote-19';

function state(): DashboardState {
  return dashboardState({ kind: 'migrate', runId: 'r1', source: `ks.t ${SECRET}`, target: 'db.t', estimatedRows: 10, planned: null, config: { note: SECRET }, endpoints: ['127.0.0.1:5432'] }, new RunStats([1, 2]), new RateHistory(), new Map(), 'running');
}

interface Answer { readonly status: number; readonly headers: Record<string, string | string[] | undefined>; readonly body: string }

function get(port: number, path: string, headers: Record<string, string>, address = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const open: Dashboard[] = [];
afterEach(async () => {
  for (const dashboard of open.splice(0)) await dashboard.close();
});

async function serve(host: string, token?: string): Promise<{ port: number }> {
  const dashboard = await startDashboard({ host, port: 0, state, secrets: [SECRET], refreshMs: 60_000, token });
  open.push(dashboard);
  return { port: Number(new URL(dashboard.url).port) };
}

describe('dashboard access', () => {
  it('on loopback, answers only to loopback names: a rebound DNS name gets nothing', async () => {
    const { port } = await serve('127.0.0.1');
    expect((await get(port, '/api/state', { Host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await get(port, '/api/state', { Host: `localhost:${port}` })).status).toBe(200);
    const rebound = await get(port, '/api/state', { Host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('runId');
    expect((await get(port, '/metrics', { Host: `evil.example:${port}` })).status).toBe(421);
    expect((await get(port, '/api/state', { Host: `localhost:${port + 1}` })).status).toBe(421);
  });

  it('beyond loopback, requires the token: Bearer for /api and /metrics, ?token= once for the page (then a cookie)', async () => {
    expect(dashboardToken({ uiHost: '127.0.0.2' }).generated).toBe(true);
    expect(dashboardToken({ uiHost: '127.0.0.1' }).token).toBeUndefined();
    expect(dashboardToken({ uiHost: '0.0.0.0', uiToken: 'mine-0123456789abcdef' })).toEqual({ token: 'mine-0123456789abcdef', generated: false });
    await expect(startDashboard({ host: '127.0.0.2', port: 0, state, secrets: [] })).rejects.toThrow(/needs a token/);

    const token = 'tok-0123456789abcdefghij';
    const { port } = await serve('127.0.0.2', token);
    const host = { Host: `127.0.0.2:${port}` };
    for (const path of ['/', '/api/state', '/events', '/metrics']) expect((await get(port, path, host, '127.0.0.2')).status).toBe(401);
    expect((await get(port, '/api/state', { ...host, Authorization: 'Bearer wrong-token-0123456789' }, '127.0.0.2')).status).toBe(401);
    expect((await get(port, '/api/state', { ...host, Authorization: `Bearer ${token}` }, '127.0.0.2')).status).toBe(200);
    expect((await get(port, '/metrics', { ...host, Authorization: `Bearer ${token}` }, '127.0.0.2')).status).toBe(200);
    const link = await get(port, `/?token=${token}`, host, '127.0.0.2');
    expect(link.status).toBe(303);
    expect(link.headers.location).toBe('/');
    const cookie = String(link.headers['set-cookie']).split(';')[0] as string;
    expect(String(link.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await get(port, '/api/state', { ...host, Cookie: cookie }, '127.0.0.2')).status).toBe(200);
  });

  it('masks a secret holding " and \\ in every byte served', async () => {
    const { port } = await serve('127.0.0.1');
    const host = { Host: `127.0.0.1:${port}` };
    const api = await get(port, '/api/state', host);
    const metrics = await get(port, '/metrics', host);
    for (const text of [api.body, metrics.body]) {
      expect(text).not.toContain('with\\\\quote');
      expect(text).not.toContain('with\\quote');
      expect(text).not.toContain('quote-19');
    }
    expect(api.body).toContain('ks.t ***');
  });
});
