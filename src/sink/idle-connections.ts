import type { ServerInfo, TargetClient } from './target-client.js';

/**
 * A connection a split left clean (no transaction open), and what was learnt of its server; `server` undefined: no
 * split has used it yet (opened ahead of the run), so its session is not set up (see session-setup.ts).
 */
export interface KeptConnection {
  readonly client: TargetClient;
  readonly server: ServerInfo | undefined;
}

interface Idle extends KeptConnection {
  readonly node: string;
  readonly timer: NodeJS.Timeout;
  readonly onEnd: () => void;
}

/** A connection still opening (ahead of the run), and whether a split has claimed it. */
interface Pending {
  readonly opening: Promise<TargetClient | undefined>;
  claimed: boolean;
}

/**
 * An executor's target connections between splits, by node: the next split on the same node takes one instead of
 * connecting (TCP, TLS, start-up, authentication) and asking the server what it is, which over a WAN are several
 * round trips per split. At most `max` wait (the executor's cores), each for `idleMs` at most; one that ends or
 * errors while it waits is dropped, and when `max` wait already the one that waited longest makes room. A connection
 * is kept only when its split ended clean: nothing of a failed split's session is ever reused.
 * Connections opened while the run was planned are `expect`ed: a split on their node waits for one rather than
 * opening another, and one no split claimed waits as an idle connection once open.
 */
export class IdleConnections {
  private readonly idle = new Map<string, Idle[]>();
  private readonly pending = new Map<string, Pending[]>();
  /** Idle ones, oldest first: the first to make room. */
  private readonly byAge: Idle[] = [];
  private closed = false;

  constructor(private readonly max: number, private readonly idleMs = 5000) {}

  /** An idle connection to the node, else one still opening to it (awaited), else undefined: the split opens its own. */
  async take(node: string): Promise<KeptConnection | undefined> {
    const kept = this.idle.get(node)?.pop();
    if (kept) {
      this.forget(kept);
      return { client: kept.client, server: kept.server };
    }
    const pending = this.pending.get(node)?.shift();
    if (!pending) return undefined;
    pending.claimed = true;
    const client = await pending.opening;
    return client === undefined ? undefined : { client, server: undefined };
  }

  /** A connection opening ahead of the run (undefined when it failed: the split that waited for it opens its own). */
  expect(node: string, opening: Promise<TargetClient | undefined>): void {
    const pending: Pending = { opening, claimed: false };
    const list = this.pending.get(node) ?? [];
    this.pending.set(node, list);
    list.push(pending);
    void opening.then((client) => {
      const index = list.indexOf(pending);
      if (index >= 0) list.splice(index, 1);
      if (client !== undefined && !pending.claimed) this.give(node, { client, server: undefined });
    });
  }

  give(node: string, connection: KeptConnection): void {
    if (this.closed || this.max <= 0) {
      void connection.client.end().catch(() => undefined);
      return;
    }
    if (this.byAge.length >= this.max) this.drop(this.byAge[0] as Idle);
    const list = this.idle.get(node) ?? [];
    this.idle.set(node, list);
    const idle: Idle = { ...connection, node, timer: setTimeout(() => this.drop(idle), this.idleMs).unref(), onEnd: () => this.drop(idle) };
    connection.client.once('end', idle.onEnd);
    connection.client.once('error', idle.onEnd);
    list.push(idle);
    this.byAge.push(idle);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.byAge];
    for (const idle of all) this.forget(idle);
    this.idle.clear();
    const opening = [...this.pending.values()].flat().filter((pending) => !pending.claimed);
    this.pending.clear();
    // Ended here, once: claimed, so that their own hand-over leaves them alone.
    for (const pending of opening) pending.claimed = true;
    await Promise.all([
      ...all.map((idle) => idle.client.end().catch(() => undefined)),
      ...opening.map(async (pending) => (await pending.opening)?.end().catch(() => undefined)),
    ]);
  }

  /** How many wait now (the tests read it). */
  get waiting(): number {
    return this.byAge.length;
  }

  private drop(idle: Idle): void {
    const list = this.idle.get(idle.node);
    const index = list?.indexOf(idle) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    this.forget(idle);
    void idle.client.end().catch(() => undefined);
  }

  private forget(idle: Idle): void {
    clearTimeout(idle.timer);
    idle.client.off('end', idle.onEnd);
    idle.client.off('error', idle.onEnd);
    const index = this.byAge.indexOf(idle);
    if (index >= 0) this.byAge.splice(index, 1);
  }
}
