import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { C2yError, messageOf } from '../errors/index.js';
import { maskSecrets } from '../observe/index.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import type { DashboardState } from './dashboard-state.js';
import { createRunMetrics } from './run-metrics.js';

export interface DashboardOptions {
  readonly host: string;
  /** First port tried; when taken, the next ones are tried, as Spark's UI does from 4040. */
  readonly port: number;
  /** The current state; called once per refresh, not per request. */
  readonly state: () => DashboardState;
  /** Masked out of every byte served, whatever field they hide in. */
  readonly secrets: readonly string[];
  /** How often live pages and SSE clients get a fresh state. */
  readonly refreshMs?: number;
}

export interface Dashboard {
  readonly url: string;
  /** Takes a last state (so the final figures are served until the end) and closes the server. */
  close(): Promise<void>;
  /** The state as last served, for the run folder. */
  current(): DashboardState;
}

/** Ports tried after the first one before giving up. */
const PORT_ATTEMPTS = 16;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Serves the dashboard pages, /api/state, /events (SSE) and /metrics (Prometheus) for one run. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  let current = options.state();
  const registry = createRunMetrics(() => current);
  const clients = new Set<ServerResponse>();
  const body = (state: DashboardState): string => maskSecrets(JSON.stringify(state), options.secrets);

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    response.setHeader('Cache-Control', 'no-store');
    // The pages load nothing from elsewhere; the policy makes sure of it.
    response.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(DASHBOARD_HTML);
    } else if (path === '/api/state') {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(body(current));
    } else if (path === '/events') {
      response.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      response.write(`data: ${body(current)}\n\n`);
      clients.add(response);
      request.on('close', () => clients.delete(response));
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(maskSecrets(text, options.secrets)),
        (error: unknown) => response.writeHead(500).end(messageOf(error)),
      );
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      port = await listen(server, options.host, options.port === 0 ? 0 : options.port + attempt);
      break;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE' && options.port !== 0 && attempt + 1 < PORT_ATTEMPTS) continue;
      throw new C2yError('UI_UNAVAILABLE', `cannot serve the dashboard on ${options.host}:${options.port + attempt}: ${messageOf(error)}`, {
        hint: 'set uiPort to a free port (or 0 for no dashboard), or uiHost to an address of this machine',
      });
    }
  }

  const refresh = (): void => {
    current = options.state();
    const data = `data: ${body(current)}\n\n`;
    for (const client of clients) client.write(data);
  };
  const timer = setInterval(refresh, options.refreshMs ?? 1000);
  timer.unref();
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostForUrl}:${port}/`,
    current: () => current,
    close: async () => {
      clearInterval(timer);
      refresh();
      for (const client of clients) client.end();
      clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
