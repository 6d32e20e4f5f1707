/**
 * What the target's backends of this run were doing when sampled (PostgreSQL's pg_stat_activity): on CPU, waiting
 * for c2y's next bytes, or waiting inside the server (a lock, the WAL, the disk). The time split says a run is
 * target-bound; these say why, and whether more streams would help or hurt.
 */

/** One backend state as sampled: `CPU`, `<wait_event_type>:<wait_event>`, or a state other than active. */
export interface WaitCount {
  readonly wait: string;
  readonly backends: number;
}

export interface TargetWaitsReport {
  /** The node sampled (a YugabyteDB node's pg_stat_activity holds its own backends only). */
  readonly node: string;
  readonly samples: number;
  /** Backends seen over all samples: each sample counts every backend of the run once. */
  readonly backendSamples: number;
  /** The most frequent states first, then `other` for the rest: never more than MAX_LISTED + 1 entries. */
  readonly waits: readonly WaitCount[];
  readonly advice: string | null;
}

/** Distinct states kept while sampling: a server answering nonsense cannot grow the tally without bound. */
const MAX_KEPT = 64;
const MAX_LISTED = 8;
/** From this share of backend samples a wait is worth a line of advice (a few samples of it are noise). */
const ADVISE_SHARE = 0.15;
/** And only once this many backends were seen: a run of two samples says little. */
const ADVISE_MIN_BACKEND_SAMPLES = 20;

/** A COPY waiting for its next bytes, a transaction for its next statement, a kept connection for its next split. */
const WAITING_ON_C2Y = new Set(['Client:ClientRead', 'idle in transaction', 'idle']);

export class TargetWaitTally {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  /** The first sample's node: the driver's connection, so every sample's. */
  private node = '';

  /** One sample: the node it was taken on (whether or not the run had a backend there) and its backends by state. */
  add(node: string, sample: readonly WaitCount[]): void {
    this.samples += 1;
    if (this.samples === 1) this.node = node;
    for (const { wait, backends } of sample) {
      if (!Number.isSafeInteger(backends) || backends <= 0) continue;
      const key = this.counts.has(wait) || this.counts.size < MAX_KEPT ? wait : 'other';
      this.counts.set(key, (this.counts.get(key) ?? 0) + backends);
    }
  }

  /** Null when nothing was sampled (the run ended before the first sample, or every sample failed). */
  summary(): TargetWaitsReport | null {
    if (this.samples === 0) return null;
    const sorted = [...this.counts].map(([wait, backends]) => ({ wait, backends })).sort((a, b) => b.backends - a.backends || a.wait.localeCompare(b.wait));
    const listed = sorted.slice(0, MAX_LISTED);
    const rest = sorted.slice(MAX_LISTED).reduce((sum, w) => sum + w.backends, 0);
    const waits = rest > 0 ? [...listed, { wait: 'other', backends: rest }] : listed;
    const backendSamples = sorted.reduce((sum, w) => sum + w.backends, 0);
    return { node: this.node, samples: this.samples, backendSamples, waits, advice: targetWaitsAdvice(sorted, backendSamples) };
  }
}

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/**
 * The advice a dominant wait earns. Lock:extend is PostgreSQL (15 and older) serializing a table's growth: each
 * COPY stream into the same table queues for it, and the queueing itself costs the server CPU, so more streams make
 * the target slower per row (this project's bench, PostgreSQL 15 on 2 cores, 1M rows: 3.5 µs of its CPU a row with
 * one stream, 4.7 with two, 6.2 with eight).
 */
export function targetWaitsAdvice(waits: readonly WaitCount[], backendSamples: number): string | null {
  if (backendSamples < ADVISE_MIN_BACKEND_SAMPLES) return null;
  const share = (match: (wait: string) => boolean): number => waits.filter((w) => match(w.wait)).reduce((sum, w) => sum + w.backends, 0) / backendSamples;
  const extend = share((wait) => wait === 'Lock:extend' || wait === 'IO:DataFileExtend');
  if (extend >= ADVISE_SHARE) {
    return `the target's backends waited to extend the table in ${percent(extend)} of samples (Lock:extend): concurrent COPY streams into one table queue for its growth, `
      + 'and the queueing costs the server CPU a row; fewer streams (parallelism) cost it less, more cost it more. PostgreSQL 16 and later extend tables in bulk';
  }
  const wal = share((wait) => wait.startsWith('LWLock:WAL') || wait.startsWith('IO:WAL'));
  if (wal >= ADVISE_SHARE) {
    return `the target's backends waited on its write-ahead log in ${percent(wal)} of samples: the target's disk (or wal_buffers) sets the pace; more streams will not help`;
  }
  const onC2y = share((wait) => WAITING_ON_C2Y.has(wait));
  if (onC2y >= 0.6) return `the target's backends were waiting for c2y in ${percent(onC2y)} of samples: the target is not what holds the run (the time split says what does)`;
  return null;
}
