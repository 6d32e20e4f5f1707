import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { C2yError, messageOf } from '../errors/index.js';
import { maskValue } from '../observe/index.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import type { DashboardState } from './dashboard-state.js';
import { accessOf, isLoopback, tokenCookie } from './dashboard-access.js';
import { createRunMetrics } from './run-metrics.js';
import { StateDiffer } from './state-diff.js';

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
  /** Required of every request when set (see dashboard-access.ts); must be set when host is not loopback. */
  readonly token?: string | undefined;
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
  if (!isLoopback(options.host) && options.token === undefined) {
    throw new C2yError('UI_UNAVAILABLE', `a dashboard on ${options.host} (beyond this machine) needs a token`, { hint: 'set uiToken (C2Y_UI_TOKEN), or let c2y generate one' });
  }
  let port = 0;
  // Masked once per refresh, before anything serializes it: the page, /api/state, SSE and /metrics all read this.
  const masked = (): DashboardState => maskValue(options.state(), options.secrets);
  let current = masked();
  // Live pages get the whole state once, then what changed each refresh (see state-diff.ts).
  const differ = new StateDiffer();
  differ.diff(current);
  const served: Served = { current: () => current, registry: createRunMetrics(() => current), clients: new Set<ServerResponse>() };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    response.setHeader('Cache-Control', 'no-store');
    if (refused(request, response, url, options, port)) return;
    // The pages load nothing from elsewhere; the policy makes sure of it.
    response.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    if (request.method !== 'GET') response.writeHead(405).end();
    else serve(url.pathname, request, response, served);
  });
  port = await listenFromPort(server, options);
  const refresh = (): void => {
    current = masked();
    const data = `event: patch\ndata: ${JSON.stringify(differ.diff(current))}\n\n`;
    for (const client of served.clients) client.write(data);
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
      for (const client of served.clients) client.end();
      served.clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** What the routes serve: the state as last masked, its metrics, and the live pages' event streams. */
interface Served {
  readonly current: () => DashboardState;
  readonly registry: ReturnType<typeof createRunMetrics>;
  readonly clients: Set<ServerResponse>;
}

/**
 * Answers a request the dashboard does not serve (another Host, no token) and says so; a first visit with the token
 * in its link is redirected to a cookie instead.
 */
function refused(request: IncomingMessage, response: ServerResponse, url: URL, options: DashboardOptions, port: number): boolean {
  const path = url.pathname;
  const access = accessOf(request, url, { bindHost: options.host, port: () => port, token: options.token });
  if (access === 'misdirected') {
    response.writeHead(421, { 'Content-Type': 'text/plain' }).end(`this dashboard answers to ${isLoopback(options.host) ? `localhost:${port} and 127.0.0.1:${port}` : `port ${port}`} only\n`);
    return true;
  }
  if (access === 'unauthorized') {
    response.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="c2y"' }).end('this dashboard needs its token: open the link c2y printed (…/?token=…), or send Authorization: Bearer <token>\n');
    return true;
  }
  if (options.token !== undefined && url.searchParams.has('token') && (path === '/' || path === '/index.html')) {
    // The page keeps the token in a cookie for its own calls, and the address bar and history lose it.
    response.writeHead(303, { 'Set-Cookie': tokenCookie(options.token), Location: path }).end();
    return true;
  }
  return false;
}

/** A GET of one of the dashboard's paths. */
function serve(path: string, request: IncomingMessage, response: ServerResponse, served: Served): void {
  const body = (): string => JSON.stringify(served.current());
  if (path === '/' || path === '/index.html') {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(DASHBOARD_HTML);
  } else if (path === '/api/state') {
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(body());
  } else if (path === '/events') {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    response.write(`event: state\ndata: ${body()}\n\n`);
    served.clients.add(response);
    request.on('close', () => served.clients.delete(response));
  } else if (path === '/metrics') {
    served.registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': served.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(messageOf(error)),
    );
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}

/** Listens on options.port, or the next free one of PORT_ATTEMPTS (0: any port); the port it got. */
async function listenFromPort(server: Server, options: DashboardOptions): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await listen(server, options.host, options.port === 0 ? 0 : options.port + attempt);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE' && options.port !== 0 && attempt + 1 < PORT_ATTEMPTS) continue;
      throw new C2yError('UI_UNAVAILABLE', `cannot serve the dashboard on ${options.host}:${options.port + attempt}: ${messageOf(error)}`, {
        hint: 'set uiPort to a free port (or 0 for no dashboard), or uiHost to an address of this machine',
      });
    }
  }
}
