import { readFileSync } from 'node:fs';
import type { Redis, RedisOptions } from 'ioredis';
import { ioredis } from './queue-modules.js';
import { redactUrl, urlPassword } from '../config/index.js';
import { C2yError, messageOf } from '../errors/index.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * AUTH and TLS beyond the URL: the password from C2Y_REDIS_PASSWORD when the URL has none (never a flag), and for
 * rediss:// a private CA from C2Y_REDIS_CA (the system CAs otherwise; the server's name is always checked).
 */
export function redisSecurityOf(url: string, env: NodeJS.ProcessEnv): RedisOptions {
  const options: RedisOptions = {};
  const password = env['C2Y_REDIS_PASSWORD'];
  if (urlPassword(url) === undefined && password) options.password = password;
  const caFile = env['C2Y_REDIS_CA'];
  if (url.startsWith('rediss://')) {
    let ca: string | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile, 'utf8');
      } catch (error) {
        throw new C2yError('CONFIG_INVALID', `C2Y_REDIS_CA: cannot read ${caFile}: ${messageOf(error)}`, { hint: 'point C2Y_REDIS_CA at the PEM file of the CA that signed Redis\'s certificate' });
      }
    }
    options.tls = { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true };
  } else if (caFile) {
    throw new C2yError('CONFIG_INVALID', `C2Y_REDIS_CA is set but ${redactUrl(url)} is not TLS`, { hint: 'use a rediss:// URL for TLS to Redis, or unset C2Y_REDIS_CA' });
  }
  return options;
}

/**
 * A Redis connection for BullMQ (which needs maxRetriesPerRequest: null) that is known to answer: a wrong URL or a
 * Redis that is down fails here with a clear message instead of retrying silently for ever.
 */
export async function openRedis(url: string, purpose: string): Promise<Redis> {
  const { Redis } = await ioredis();
  const redis = new Redis(url, { ...redisSecurityOf(url, process.env), maxRetriesPerRequest: null, connectionName: `c2y-${purpose}`.replace(/[^\w-]/g, '-'), lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS });
  // Errors while connected are retried by ioredis and surface on the next command; they must not crash the process.
  let cause: string | undefined;
  redis.on('error', (error: Error) => {
    // While connecting, ioredis rejects with "Connection is closed"; the event carries why (WRONGPASS, a certificate).
    cause ??= messageOf(error);
  });
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new C2yError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)} (${purpose}): ${cause ?? messageOf(error)}`, {
      hint: 'check the --redis URL (redis:// or rediss://host:port), the password in C2Y_REDIS_PASSWORD, for TLS the CA in C2Y_REDIS_CA, and that Redis is running and reachable from this machine',
      retryable: true,
    });
  }
  return redis;
}
