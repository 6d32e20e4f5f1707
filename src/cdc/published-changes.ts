import type { Redis } from 'ioredis';
import { C2yError, pause } from '../errors/index.js';
import { openRedis, redisKeys, type RunSigner } from '../runner/index.js';
import { openCassandra, sessionOptionsOf } from '../source/index.js';
import { isAfter, parseAgentLine, type AgentLine, type ChangeLine, type LogPosition } from './agent-events.js';
import type { AgentControl } from './agent-process.js';
import { ensureCdcEnabled } from './cdc-source.js';
import type { ChangeStreamOptions } from './change-stream.js';

/** Where a node's changes are published (c2y cdc agent --publish on the node), and the key their signatures use. */
export interface PublishedFeed {
  readonly redisUrl: string;
  readonly signer: RunSigner;
}

/** Changes of one mutation share its log position: a stream id holds the position and the change's place in it. */
const PER_POSITION = 1024;

export function streamIdOf(at: LogPosition, index: number): string {
  return `${at.segment}-${at.position * PER_POSITION + index}`;
}

/** Compares stream ids (`ms-seq`) as Redis orders them. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

/** Redis is a message bus, not an authority: every field is signed over the node's stream key (C2Y_RUN_KEY). */
export function sealed(signer: RunSigner, key: string, body: string): string {
  return JSON.stringify({ body, sig: signer.sign('cdc-published', key, body) });
}

export function opened(signer: RunSigner, key: string, field: string | null | undefined, what: string): string | undefined {
  if (field === null || field === undefined) return undefined;
  let envelope: { body?: unknown; sig?: unknown } | undefined;
  try {
    envelope = JSON.parse(field) as { body?: unknown; sig?: unknown };
  } catch {
    envelope = undefined;
  }
  if (typeof envelope?.body !== 'string' || !signer.verify('cdc-published', key, envelope.body, envelope.sig)) {
    throw new C2yError('CDC_CHANGE_FORGED', `${what} in ${key} is not signed with this C2Y_RUN_KEY: it was not written by c2y cdc agent --publish with the same key`, {
      hint: 'nothing was applied from it; give the publisher and c2y the same C2Y_RUN_KEY, and find out who else writes to this Redis',
    });
  }
  return envelope.body;
}

/** A published change: the agent's line and the id of the change before it, so a change taken out is noticed. */
interface PublishedChange {
  readonly line: string;
  readonly prev: string;
}

export interface PublishedLinesOptions extends Omit<ChangeStreamOptions, 'yaml' | 'libDir'> {
  readonly node: string;
  readonly feed: PublishedFeed;
  /** How long the publisher may not catch up before the node counts as down. */
  readonly silentMs?: number;
}

/**
 * What a publisher says it publishes: each table with the log position from which its changes are in the stream
 * without a gap (a table added when the publisher started again is published from there on, not before).
 */
export interface PublishedMeta {
  readonly tables: Readonly<Record<string, LogPosition>>;
  readonly node: string;
  readonly startedAt: number;
}

/**
 * The publisher publishes every table the apply needs, from before where the apply reads on (`from`; none: a capture
 * that starts now). Checked when reading starts and at every poll: a publisher started again with fewer tables, or
 * with one added after a gap, would otherwise leave changes out while the lag looked well.
 */
async function checkPublished(redis: Redis, options: PublishedLinesOptions, keys: { stream: string; state: string }, from: LogPosition | undefined): Promise<void> {
  const { keyspace } = options.config.source;
  const tables = options.tables ?? [options.config.source.table];
  const body = opened(options.feed.signer, keys.stream, await redis.hget(keys.state, 'meta'), 'the publisher\'s description');
  const published = body === undefined ? {} : (JSON.parse(body) as PublishedMeta).tables;
  const missing = tables.filter((table) => published[table] === undefined);
  if (missing.length > 0) {
    throw new C2yError('CDC_NOT_PUBLISHED', `node ${options.node} does not publish the changes of ${missing.map((t) => `${keyspace}.${t}`).join(', ')} to this Redis${body === undefined ? ' (no publisher ever ran for it)' : ` (it publishes ${Object.keys(published).join(', ') || 'none'})`}`, {
      hint: `on that node run: c2y cdc agent --publish --keyspace ${keyspace} --tables ${tables.join(',')} --node-dir <Cassandra home> --redis <this Redis> (with the same C2Y_RUN_KEY), and leave it running`,
    });
  }
  const late = from === undefined ? [] : tables.filter((table) => isAfter(published[table] as LogPosition, from));
  if (late.length > 0) {
    throw new C2yError('CDC_NOT_PUBLISHED', `node ${options.node} publishes ${late.map((t) => `${keyspace}.${t}`).join(', ')} only from a later position than this apply has reached (its publisher was started again without ${late.length === 1 ? 'it' : 'them'} in between): changes in the gap are not in the stream`, {
      hint: 'start the live migration of those tables over (c2y migrate --live --restart), with the publisher publishing them all along',
    });
  }
}

/**
 * One node's changes as its publisher put them in Redis, in log order, from `from`: each change checked (signed,
 * and chained to the one before it, so one taken out or put in stops the read), then the publisher's caught-up line.
 * A publisher that stops catching up (or said it failed) is a failed agent: the node shows as down until it is back.
 */
export async function* publishedLines(options: PublishedLinesOptions): AsyncGenerator<{ readonly line: AgentLine }> {
  const { keyspace } = options.config.source;
  const keys = { stream: redisKeys.cdcChangesKey(keyspace, options.node), state: redisKeys.cdcStateKey(keyspace, options.node) };
  const { signer } = options.feed;
  const redis = await openRedis(options.feed.redisUrl, 'cdc-apply');
  try {
    await checkPublished(redis, options, keys, options.from);
    if (options.endOnly === true) await checkCdc(options);
    options.onAgent?.(releaseControl(redis, signer, keys));
    const reader = new ChainReader(redis, signer, keys.stream, options.from);
    let lastCaughtUp = -1;
    let seenAt = Date.now();
    while (options.signal?.aborted !== true) {
      await checkPublished(redis, options, keys, reader.position);
      const failed = opened(signer, keys.stream, await redis.hget(keys.state, 'error'), 'the publisher\'s failure');
      if (failed !== undefined) throw new C2yError('CDC_AGENT_FAILED', `the publisher of ${options.node} stopped: ${failed}`, { hint: `start c2y cdc agent --publish on ${options.node} again; nothing was skipped` });
      const caughtUpBody = opened(signer, keys.stream, await redis.hget(keys.state, 'caught-up'), 'the publisher\'s caught-up line');
      const caughtUp = caughtUpBody === undefined ? undefined : parseAgentLine(caughtUpBody);
      if (options.endOnly === true) {
        if (caughtUp === undefined) throw new C2yError('CDC_NOT_PUBLISHED', `the publisher of ${options.node} has not caught up with its log yet`, { hint: 'wait until c2y cdc agent --publish on that node says it is publishing, then start again' });
        yield { line: caughtUp };
        return;
      }
      // Every change published so far (whole mutations), not only up to the caught-up line: a publisher reading a
      // long backlog catches up only at the end of its pass, and its changes are applied meanwhile.
      const before = reader.count;
      yield* reader.through('+');
      if (reader.count !== before) seenAt = Date.now();
      if (caughtUp?.type === 'caught-up' && caughtUp.at !== lastCaughtUp) {
        lastCaughtUp = caughtUp.at;
        seenAt = Date.now();
        yield { line: caughtUp };
      }
      if (Date.now() - seenAt > (options.silentMs ?? 15_000)) {
        throw new C2yError('CDC_AGENT_FAILED', `the publisher of ${options.node} has neither published nor caught up for ${((Date.now() - seenAt) / 1000).toFixed(0)} s`, { hint: `is c2y cdc agent --publish running on ${options.node}? its changes wait in cdc_raw meanwhile` });
      }
      await pause(options.pollMs ?? 250, options.signal);
    }
  } finally {
    redis.disconnect();
  }
}

/** The capture refuses tables without CDC (or enables it) as a local agent does: the publisher needs it on. */
async function checkCdc(options: PublishedLinesOptions): Promise<void> {
  const client = await openCassandra(sessionOptionsOf(options.config.source));
  try {
    await ensureCdcEnabled(client, options.config.source.keyspace, options.tables ?? [options.config.source.table], options.enableCdc);
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

/** Applied segments go back to the publisher through Redis, signed: a forged floor could delete segments not applied. */
function releaseControl(redis: Redis, signer: RunSigner, keys: { stream: string; state: string }): AgentControl {
  let last = -1;
  return {
    release: (segment) => {
      if (segment <= last) return;
      last = segment;
      redis.hset(keys.state, 'release', sealed(signer, keys.stream, String(segment))).catch(() => undefined);
    },
  };
}

/** Reads a node's published changes in order, checking each one's signature and its link to the one before. */
export class ChainReader {
  private last: string;
  private first = true;

  constructor(private readonly redis: Redis, private readonly signer: RunSigner, private readonly key: string, private readonly from: LogPosition | undefined) {
    this.last = from === undefined ? '0-0' : streamIdOf(from, PER_POSITION - 1);
  }

  /** Where reading has got to: the last change read, else where it began. */
  get position(): LogPosition | undefined {
    if (this.first) return this.from;
    const [segment, seq] = this.last.split('-').map(Number) as [number, number];
    return { segment, position: Math.floor(seq / PER_POSITION) };
  }

  /** Changes read so far. */
  count = 0;

  /** The changes after the last one read, up to `end` (an id, or '+': all there are). */
  async *through(end: string): AsyncGenerator<{ readonly line: ChangeLine }> {
    for (;;) {
      if (end !== '+' && compareIds(this.last, end) >= 0) return;
      const entries = await this.redis.xrange(this.key, `(${this.last}`, end, 'COUNT', 500);
      for (const [id, fields] of entries) yield { line: this.check(id, fields) };
      if (entries.length < 500) return;
    }
  }

  private check(id: string, fields: string[]): ChangeLine {
    const body = opened(this.signer, this.key, fields[fields.indexOf('change') + 1], `change ${id}`) as string;
    const change = JSON.parse(body) as PublishedChange;
    // The first change read may follow changes applied before (its predecessor at or before where reading began).
    const linked = this.first ? compareIds(change.prev, this.last) <= 0 : change.prev === this.last;
    if (!linked) {
      throw new C2yError('CDC_CHANGE_FORGED', `change ${id} in ${this.key} follows ${change.prev}, but the change before it is ${this.last}: changes were taken out of (or put into) the stream`, {
        hint: 'nothing after it was applied; the missing changes are lost to this stream: start the live migration over (--restart) once the cause is found',
      });
    }
    const line = parseAgentLine(change.line);
    if (line.type !== 'change') throw new C2yError('CDC_CHANGE_FORGED', `entry ${id} in ${this.key} is not a change`, { hint: 'nothing was applied from it' });
    this.first = false;
    this.last = id;
    this.count++;
    return line;
  }
}
