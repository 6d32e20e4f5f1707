import type { C2yConfig } from '../config/index.js';
import { C2yError, messageOf } from '../errors/index.js';
import type { AgentControl } from './agent-process.js';
import type { AgentLine, ChangeLine, LogPosition } from './agent-events.js';
import { changeStream } from './change-stream.js';

/** A Cassandra node whose cdc_raw c2y reads: its name (as positions are stored), cassandra.yaml and lib folder. */
export interface CdcNode {
  readonly name: string;
  readonly yaml: string;
  readonly libDir: string;
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

export interface NodeReaderOptions {
  readonly config: C2yConfig;
  readonly node: CdcNode;
  readonly from: LogPosition;
  readonly pollMs: number;
  readonly signal: AbortSignal;
  /** Resolves when the caller can take another change (its batch is not full). */
  readonly ready: () => Promise<void>;
  /** Takes a change into the caller's batch; synchronous, so the batch and `read` never disagree. */
  readonly onChange: (change: ChangeLine) => void;
  readonly onLine?: (line: AgentLine) => void;
  /** How long to wait before starting a failed agent again. */
  readonly restartMs?: number;
  /** Where the lines come from: the agent (tests give their own). */
  readonly stream?: typeof changeStream;
}

/** A failure that starting the agent again can cure (the agent died, a node was unreachable); a wrong setup cannot. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof C2yError)) return true;
  return error.code === 'CDC_AGENT_FAILED' || error.code === 'SOURCE_UNREACHABLE';
}

/**
 * Reads one node's changes for as long as the signal lets it, from its last applied position. An agent that fails is
 * started again from where this reader had read to (nothing read is lost: it waits in the caller's batch), and the
 * node shows as down meanwhile, so the lag grows and a cut-over refuses; a setup error ends the reader with it.
 */
export class NodeReader {
  readonly state: NodeReadState;
  private agent: AgentControl | undefined;
  private readonly skews: number[] = [];

  constructor(private readonly options: NodeReaderOptions) {
    this.state = { node: options.node.name, read: options.from, caughtUpAt: null, down: null, rawBytes: 0, rawLimit: 0, changesRead: 0, syncMs: null, clockSkewMs: null };
  }

  /** Tells the agent the segments before `segment` are applied. */
  release(segment: number): void {
    this.agent?.release(segment);
  }

  async run(): Promise<void> {
    const { signal } = this.options;
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
    for await (const { line } of (this.options.stream ?? changeStream)({
      config, yaml: node.yaml, libDir: node.libDir, from: this.state.read, follow: true, enableCdc: false, pollMs: this.options.pollMs, signal,
      onAgent: (agent) => (this.agent = agent),
    })) {
      this.state.down = null;
      this.options.onLine?.(line);
      if (line.type === 'change') {
        await this.options.ready();
        this.options.onChange(line);
        this.state.changesRead++;
        this.state.read = { segment: line.segment, position: line.position };
      } else if (line.type === 'caught-up') {
        this.state.read = { segment: line.segment, position: line.position };
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

  /** One reading of the node's clock (ms) as it arrives here. */
  private noteClock(at: number): void {
    this.skews.push(Date.now() - at);
    if (this.skews.length > SKEW_WINDOW) this.skews.shift();
    this.state.clockSkewMs = Math.min(...this.skews);
  }
}
