import { isReachable } from '../sink/index.js';

/** True when something accepts TCP connections at host:port within timeoutMs (the same probe target discovery uses). */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return isReachable(host, port, timeoutMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}
