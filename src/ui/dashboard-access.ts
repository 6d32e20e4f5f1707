import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Names of this machine's own loopback: a browser on it may call the dashboard by any of them. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const COOKIE = 'c2y_token';

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.replace(/^\[|\]$/g, '').toLowerCase());
}

/** A token for a dashboard bound beyond loopback when the user set none: printed once, never stored. */
export function newUiToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What a request may see: everything, nothing (wrong Host: DNS rebinding), or nothing until it shows the token. */
export type AccessVerdict = 'allowed' | 'misdirected' | 'unauthorized';

export interface AccessRules {
  readonly bindHost: string;
  readonly port: () => number;
  readonly token: string | undefined;
}

function hostHeaderAllowed(header: string | undefined, rules: AccessRules): boolean {
  if (header === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim());
  if (!match) return false;
  const name = (match[1] as string).replace(/^\[|\]$/g, '').toLowerCase();
  if (Number(match[2] ?? 80) !== rules.port()) return false;
  // Bound to loopback: only loopback names. A page on evil.example that rebinds its name to 127.0.0.1 sends
  // Host: evil.example and is refused. Bound wider, the token is what keeps others out.
  if (isLoopback(rules.bindHost)) return LOOPBACK.has(name);
  return true;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** The token a request carries: Authorization: Bearer (scrapers, curl), the cookie (the page), or ?token= (the link). */
export function requestToken(request: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  return bearer ?? url.searchParams.get('token') ?? cookieToken(request.headers.cookie);
}

export function accessOf(request: IncomingMessage, url: URL, rules: AccessRules): AccessVerdict {
  if (!hostHeaderAllowed(request.headers.host, rules)) return 'misdirected';
  if (rules.token !== undefined && !sameToken(requestToken(request, url), rules.token)) return 'unauthorized';
  return 'allowed';
}

/** Set when the page was opened with ?token=, so its own /api and /events calls carry it without it in every URL. */
export function tokenCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
