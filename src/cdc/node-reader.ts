import type { C2yConfig } from '../config/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import type { AgentControl } from './agent-process.js';
import { isAfter, type AgentLine, type ChangeLine, type LogPosition } from './agent-events.js';
import { changeStream, type ChangeStreamOptions } from './change-stream.js';
import { publishedLines, type PublishedFeed } from './published-changes.js';

/** A Cassandra node whose cdc_raw c2y reads here: its name (as positions are stored), cassandra.yaml and lib folder. */
export interface LocalCdcNode {
  readonly name: string;
  readonly yaml: string;
  readonly libDir: string;
}

/** A node whose changes its own `c2y cdc agent --publish` puts in Redis: its name (listen_address) and that Redis. */
export interface PublishedCdcNode {
  readonly name: string;
  readonly published: PublishedFeed;
}

export type CdcNode = LocalCdcNode | PublishedCdcNode;

/** A node's lines: read by an agent here, or from what its publisher put in Redis. */
export type NodeLines = (options: Omit<ChangeStreamOptions, 'yaml' | 'libDir'>) => AsyncIterable<{ readonly line: AgentLine }>;

export function nodeLines(node: CdcNode): NodeLines {
  if ('published' in node) return (options) => publishedLines({ ...options, node: node.name, feed: node.published });
  return (options) => changeStream({ ...options, yaml: node.yaml, libDir: node.libDir });
}

/** What a node's reader has seen: where it has read to, and when its agent last said it had caught up. */
export interface NodeReadState {
  readonly node: string;
  read: LogPosition;
  /** The agent's clock (ms) at its latest caught-up line: every change written to the log before it has been read. */
  caughtUpAt: number | null;
  /** Why the agent is not running (it is started again); null while it runs. */
  down: string | null;
  rawBytes: number;
  rawLimit: number;
  /** Changes of this reader's table taken. */
  changesRead: number;
  syncMs: number | null;
  /**
   * This machine's clock minus the node's (ms): the least of the last clock readings' (arrival − their time), so the
   * pipe's delay counts as little as it can; the agent's table line (before it reads) and each caught-up line carry one. Node times (applied-through) are read on this clock with it.
   */
  clockSkewMs: number | null;
}

/** Caught-up lines the clock skew is the least of: about 5 s of polls, so a clock that is set anew shows soon. */
const SKEW_WINDOW = 20;

export interface NodeFeedOptions {
  readonly config: C2yConfig;
  readonly node: CdcNode;
  /** The source tables (of config.source.keyspace) the agent reads; each needs a reader before the agent starts. */
  readonly tables: readonly string[];
  readonly pollMs: number;
  readonly signal: AbortSignal;
  readonly onLine?: (line: AgentLine) => void;
  /** How long to wait before starting a failed agent again. */
  readonly restartMs?: number;
  /** Where the lines come from: the node's (tests give their own). */
  readonly stream?: NodeLines;
}

export interface TableReaderOptions {
  readonly table: string;
  /** The position this table's apply committed last: its changes up to it are applied. */
  readonly from: LogPosition;
  /** Resolves when the caller can take another change (its batch is not full). */
  readonly ready: () => Promise<void>;
  /** Takes a change into the caller's batch; synchronous, so the batch and `read` never disagree. */
  readonly onChange: (change: ChangeLine) => void;
  /** The caller's stop: run() returns on it (the feed goes on for the other tables until its own signal). */
  readonly signal: AbortSignal;
}

/** A failure that starting the agent again can cure (the agent died, a node was unreachable); a wrong setup cannot. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof C2yError)) return true;
  return error.code === 'CDC_AGENT_FAILED' || error.code === 'SOURCE_UNREACHABLE';
}

/**
 * One agent on one node's log for every table of a live migration (a keyspace's tables read the log once, not once
 * each), handing each change to its table's reader. It starts once every table has a reader, from the earliest
 * position any of them committed; a reader that committed further skips what it has applied. An agent that fails is
 * started again from where the feed had read (nothing read is lost: it waits in the readers' batches), and the node
 * shows as down meanwhile, so the lag grows and a cut-over refuses; a setup error ends the feed with it.
 */
export class NodeFeed {
  private readonly state: Omit<NodeReadState, 'changesRead'>;
  private readonly readers = new Map<string, NodeReader>();
  private agent: AgentControl | undefined;
  private readonly skews: number[] = [];
  private running: Promise<void> | undefined;
  /** The position of the latest change handed out: changes of the same mutation may still follow it. */
  private lastSeen: LogPosition = { segment: 0, position: 0 };
  private allJoined: () => void = () => undefined;
  private readonly joined = new Promise<void>((resolve) => (this.allJoined = resolve));

  constructor(private readonly options: NodeFeedOptions) {
    this.state = { node: options.node.name, read: { segment: 0, position: 0 }, caughtUpAt: null, down: null, rawBytes: 0, rawLimit: 0, syncMs: null, clockSkewMs: null };
  }

  get node(): string {
    return this.options.node.name;
  }

  /** The reader of one table's changes; the agent starts once every table of the feed has one. */
  reader(options: TableReaderOptions): NodeReader {
    if (!this.options.tables.includes(options.table) || this.readers.has(options.table)) {
      throw new Error(`the feed of ${this.node} has no place for a reader of ${options.table}`);
    }
    const reader = new NodeReader(this, options);
    this.readers.set(options.table, reader);
    if (this.readers.size === this.options.tables.length) this.allJoined();
    return reader;
  }

  /** What the feed has seen, with a reader's own position and count. */
  stateFor(read: LogPosition, changesRead: number): NodeReadState {
    return { ...this.state, read, changesRead };
  }

  /** Tells the agent the segments before `segment` are applied (by every live migration reading this log). */
  release(segment: number): void {
    this.agent?.release(segment);
  }

  /** Reads until the feed's signal or a setup error; one run however many readers ask. */
  run(): Promise<void> {
    this.running ??= this.readUntilStopped();
    return this.running;
  }

  private async readUntilStopped(): Promise<void> {
    const { signal } = this.options;
    await Promise.race([this.joined, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
    this.state.read = [...this.readers.values()].map((reader) => reader.from).reduce((a, b) => (isAfter(a, b) ? b : a));
    this.lastSeen = this.state.read;
    while (!signal.aborted) {
      try {
        await this.readOnce();
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (!isTransient(error)) throw error;
        this.state.down = messageOf(error);
        this.agent = undefined;
        await new Promise((resolve) => setTimeout(resolve, this.options.restartMs ?? 2000));
      }
    }
  }

  private async readOnce(): Promise<void> {
    const { node, config, signal } = this.options;
    for await (const { line } of (this.options.stream ?? nodeLines(node))({
      config, tables: this.options.tables, from: this.state.read, follow: true, enableCdc: false, pollMs: this.options.pollMs, signal,
      onAgent: (agent) => (this.agent = agent),
    })) {
      this.state.down = null;
      this.options.onLine?.(line);
      if (line.type === 'change') await this.take(line);
      else if (line.type === 'caught-up') {
        // Every change before it is read. A published node's changes can run ahead of its caught-up line (they are
        // read as they come): the position then stays where the changes put it.
        const at = { segment: line.segment, position: line.position };
        if (!isAfter(this.lastSeen, at)) this.state.read = this.lastSeen = at;
        else if (isAfter(at, this.state.read)) this.state.read = at;
        for (const reader of this.readers.values()) reader.moveTo(this.state.read);
        this.state.caughtUpAt = line.at;
        this.state.rawBytes = line.rawBytes;
        this.state.rawLimit = line.rawLimit;
        this.state.syncMs = line.syncMs ?? null;
        this.noteClock(line.at);
      } else if (line.type === 'table') {
        // Before the first change: expiries taken from a backlog read before any caught-up line get the skew too.
        this.noteClock(line.at);
      }
    }
  }

  /**
   * A change to its table's reader (once that reader can take it). One mutation can change several tables (a batch
   * over one partition key), all at its position: only once a later position comes is every change up to the one
   * before handed out, so that is where the readers have read (the log is read again from there after a restart).
   */
  private async take(change: ChangeLine): Promise<void> {
    const at = { segment: change.segment, position: change.position };
    if (isAfter(at, this.lastSeen)) {
      this.state.read = this.lastSeen;
      for (const reader of this.readers.values()) reader.moveTo(this.lastSeen);
      this.lastSeen = at;
    }
    const owner = this.readers.get(change.table.slice(change.table.indexOf('.') + 1));
    if (owner !== undefined && isAfter(at, owner.from)) await owner.take(change);
  }

  /** One reading of the node's clock (ms) as it arrives here. */
  private noteClock(at: number): void {
    this.skews.push(Date.now() - at);
    if (this.skews.length > SKEW_WINDOW) this.skews.shift();
    this.state.clockSkewMs = Math.min(...this.skews);
  }
}

/** One table's view of a node's feed: the changes of its table, and how far the feed has read for it. */
export class NodeReader {
  private read: LogPosition;
  private changesRead = 0;

  constructor(private readonly feed: NodeFeed, private readonly options: TableReaderOptions) {
    this.read = options.from;
  }

  get from(): LogPosition {
    return this.options.from;
  }

  get state(): NodeReadState {
    return this.feed.stateFor(this.read, this.changesRead);
  }

  release(segment: number): void {
    this.feed.release(segment);
  }

  /** Until the feed ends or this reader's signal says stop. */
  async run(): Promise<void> {
    const { signal } = this.options;
    if (signal.aborted) return;
    let onAbort: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve()), { once: true }));
    try {
      await Promise.race([this.feed.run(), stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async take(change: ChangeLine): Promise<void> {
    await this.options.ready();
    this.options.onChange(change);
    this.changesRead++;
  }

  moveTo(at: LogPosition): void {
    if (isAfter(at, this.read)) this.read = at;
  }
}
