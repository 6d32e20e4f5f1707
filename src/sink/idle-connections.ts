import type { ServerInfo, TargetClient } from './target-client.js';

/** A connection a split left clean (no transaction open), and what was learnt of its server. */
export interface KeptConnection {
  readonly client: TargetClient;
  readonly server: ServerInfo;
}

interface Idle extends KeptConnection {
  readonly timer: NodeJS.Timeout;
  readonly onEnd: () => void;
}

/**
 * An executor's target connections between splits, by node: the next split on the same node takes one instead of
 * connecting (TCP, TLS, start-up, authentication) and asking the server what it is, which over a WAN are several
 * round trips per split. At most `max` wait (the executor's cores), each for `idleMs` at most; one that ends or
 * errors while it waits is dropped. A connection is kept only when its split ended clean: nothing of a failed
 * split's session is ever reused.
 */
export class IdleConnections {
  private readonly idle = new Map<string, Idle[]>();
  private count = 0;

  constructor(private readonly max: number, private readonly idleMs = 5000) {}

  take(node: string): KeptConnection | undefined {
    const kept = this.idle.get(node)?.pop();
    if (!kept) return undefined;
    this.forget(kept);
    return { client: kept.client, server: kept.server };
  }

  give(node: string, connection: KeptConnection): void {
    if (this.count >= this.max) {
      void connection.client.end().catch(() => undefined);
      return;
    }
    const list = this.idle.get(node) ?? [];
    this.idle.set(node, list);
    const drop = (): void => {
      const index = list.indexOf(idle);
      if (index < 0) return;
      list.splice(index, 1);
      this.forget(idle);
      void connection.client.end().catch(() => undefined);
    };
    const idle: Idle = { ...connection, timer: setTimeout(drop, this.idleMs).unref(), onEnd: drop };
    connection.client.once('end', drop);
    connection.client.once('error', drop);
    list.push(idle);
    this.count++;
  }

  async closeAll(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const idle of all) this.forget(idle);
    await Promise.all(all.map((idle) => idle.client.end().catch(() => undefined)));
  }

  private forget(idle: Idle): void {
    clearTimeout(idle.timer);
    idle.client.off('end', idle.onEnd);
    idle.client.off('error', idle.onEnd);
    this.count--;
  }
}
