import type { Redis } from 'ioredis';
import type { C2yConfig } from '../config/index.js';
import { messageOf } from '../errors/index.js';
import { openRedis, redisKeys } from '../runner/index.js';
import type { ChangeLine, LogPosition } from './agent-events.js';
import type { AgentControl } from './agent-process.js';
import { changeStream } from './change-stream.js';
import { opened, sealed, streamIdOf, type PublishedFeed, type PublishedMeta } from './published-changes.js';

export interface PublishOptions {
  readonly config: C2yConfig;
  /** The tables of config.source.keyspace whose changes are published. */
  readonly tables: readonly string[];
  /** This node: its name as c2y names it (listen_address), its cassandra.yaml and lib folder. */
  readonly node: { readonly name: string; readonly yaml: string; readonly libDir: string };
  readonly feed: PublishedFeed;
  readonly enableCdc: boolean;
  readonly pollMs: number;
  readonly signal: AbortSignal;
  /** Told after each caught-up line: where the log is published to, and how many changes so far. */
  readonly onCaughtUp?: (state: { readonly position: LogPosition; readonly published: number; readonly released: number | null }) => void;
}

/** The last change published, kept beside the stream so a publisher started again goes on after it. */
interface LastPublished {
  readonly id: string;
  readonly segment: number;
  readonly position: number;
}

/**
 * On a Cassandra node: reads its cdc_raw (the agent, as `migrate --live` does locally) and publishes every change
 * to the tables into a Redis stream, a mutation's changes at once (so a restart never leaves half of one), each
 * signed and chained to the one before; then the caught-up line. It deletes the segments the appliers say are
 * applied (a signed floor), and trims the stream below them. Started again, it goes on after the last change it
 * published. A failure is published too (the appliers show the node as down with it) before it ends the publisher.
 */
export async function publishChanges(options: PublishOptions): Promise<void> {
  const { keyspace } = options.config.source;
  const keys = { stream: redisKeys.cdcChangesKey(keyspace, options.node.name), state: redisKeys.cdcStateKey(keyspace, options.node.name) };
  const { signer } = options.feed;
  const redis = await openRedis(options.feed.redisUrl, 'cdc-publish');
  try {
    const lastBody = opened(signer, keys.stream, await redis.hget(keys.state, 'last'), 'the last published change');
    let last: LastPublished | undefined = lastBody === undefined ? undefined : JSON.parse(lastBody) as LastPublished;
    await redis.hset(keys.state, 'meta', sealed(signer, keys.stream, JSON.stringify(await metaNow(redis, options.feed, keys.stream, keys.state, options, last))));
    await redis.hdel(keys.state, 'error');
    let agent: AgentControl | undefined;
    let mutation: ChangeLine[] = [];
    let published = 0;
    let released: number | null = null;
    for await (const { line } of changeStream({
      config: options.config, tables: options.tables, yaml: options.node.yaml, libDir: options.node.libDir, from: last, follow: true, enableCdc: options.enableCdc,
      pollMs: options.pollMs, signal: options.signal, onAgent: (control) => (agent = control),
    })) {
      if (line.type === 'change') {
        const head = mutation[0];
        if (head !== undefined && (head.segment !== line.segment || head.position !== line.position)) {
          last = await publishMutation(redis, options.feed, keys, mutation, last);
          published += mutation.length;
          mutation = [];
        }
        mutation.push(line);
      } else if (line.type === 'caught-up') {
        if (mutation.length > 0) last = await publishMutation(redis, options.feed, keys, mutation, last);
        published += mutation.length;
        mutation = [];
        await redis.hset(keys.state, 'caught-up', sealed(signer, keys.stream, JSON.stringify(line)));
        released = await releaseApplied(redis, options.feed, keys, agent) ?? released;
        options.onCaughtUp?.({ position: { segment: line.segment, position: line.position }, published, released });
      }
    }
    // A mutation read only in part when stopped is not published: started again, the agent reads it whole.
  } catch (error) {
    if (!options.signal.aborted) await redis.hset(keys.state, 'error', sealed(signer, keys.stream, messageOf(error))).catch(() => undefined);
    throw error;
  } finally {
    redis.disconnect();
  }
}

/**
 * What this publisher publishes, each table since when: a table the last publisher published goes on without a gap
 * (this one starts after its last change); one it did not is published from here on.
 */
async function metaNow(redis: Redis, feed: PublishedFeed, stream: string, state: string, options: PublishOptions, last: LastPublished | undefined): Promise<PublishedMeta> {
  const body = opened(feed.signer, stream, await redis.hget(state, 'meta'), 'the publisher\'s description');
  const before = body === undefined ? {} : (JSON.parse(body) as PublishedMeta).tables;
  const start: LogPosition = last === undefined ? { segment: 0, position: 0 } : { segment: last.segment, position: last.position };
  const tables: Record<string, LogPosition> = {};
  for (const table of options.tables) tables[table] = before[table] ?? start;
  return { tables, node: options.node.name, startedAt: Date.now() };
}

/** One mutation's changes and the new last position, in one transaction: all of it is published, or none. */
async function publishMutation(redis: Redis, feed: PublishedFeed, keys: { stream: string; state: string }, changes: readonly ChangeLine[], last: LastPublished | undefined): Promise<LastPublished> {
  // A mutation changes each table at most once: far fewer than the ids one position holds.
  if (changes.length > 1000) throw new Error(`a mutation at ${streamIdOf(changes[0] as ChangeLine, 0)} changes ${changes.length} tables, more than one stream position holds`);
  const transaction = redis.multi();
  let prev = last?.id ?? '0-0';
  for (const [index, change] of changes.entries()) {
    const id = streamIdOf(change, index);
    transaction.xadd(keys.stream, id, 'change', sealed(feed.signer, keys.stream, JSON.stringify({ line: JSON.stringify(change), prev })));
    prev = id;
  }
  const head = changes[0] as ChangeLine;
  const now: LastPublished = { id: prev, segment: head.segment, position: head.position };
  transaction.hset(keys.state, 'last', sealed(feed.signer, keys.stream, JSON.stringify(now)));
  const results = await transaction.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed) throw failed[0] as Error;
  return now;
}

/** The appliers' signed floor: segments below it are applied everywhere; the agent deletes them and the stream drops them. */
async function releaseApplied(redis: Redis, feed: PublishedFeed, keys: { stream: string; state: string }, agent: AgentControl | undefined): Promise<number | undefined> {
  const body = opened(feed.signer, keys.stream, await redis.hget(keys.state, 'release'), 'the applied floor');
  if (body === undefined) return undefined;
  const segment = Number(body);
  agent?.release(segment);
  await redis.xtrim(keys.stream, 'MINID', `${segment}-0`);
  return segment;
}
