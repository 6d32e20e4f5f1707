import { Redis } from 'ioredis';
import { redactUrl } from '../config/index.js';
import { C2yError, messageOf } from '../errors/index.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A Redis connection for BullMQ (which needs maxRetriesPerRequest: null) that is known to answer: a wrong URL or a
 * Redis that is down fails here with a clear message instead of retrying silently for ever.
 */
export async function openRedis(url: string, purpose: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: `c2y-${purpose}`.replace(/[^\w-]/g, '-'), lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS });
  // Errors while connected are retried by ioredis and surface on the next command; they must not crash the process.
  redis.on('error', () => undefined);
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new C2yError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(url)} (${purpose}): ${messageOf(error)}`, {
      hint: 'check the --redis URL (redis://host:port, with the password if it needs one) and that Redis is running and reachable from this machine',
      retryable: true,
    });
  }
  return redis;
}
