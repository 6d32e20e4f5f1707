import type { DashboardState } from './dashboard-state.js';

type Split = DashboardState['splits'][number];
type HistoryPoint = DashboardState['history'][number];
type TopLevel = Omit<DashboardState, 'splits' | 'history'>;

/**
 * What changed since the state last sent: the top-level fields that differ (whole), the splits that differ (by id),
 * and the rows/s points added. A run of 5,000 splits changes a few dozen of them a second; sending the whole state
 * every second was ~600 KB/s per open page.
 */
export interface StatePatch {
  readonly changed: Partial<TopLevel>;
  readonly splits: readonly Split[];
  /** Points to add to the chart; `historyReset` says they replace it (the history was thinned). */
  readonly history: readonly HistoryPoint[];
  readonly historyReset: boolean;
}

/** Fields that change every refresh whatever happens; a patch that holds only these is still sent (it is small). */
const ALWAYS_CHANGING: ReadonlySet<string> = new Set(['updatedAt']);

/** Keeps the serialized form of what was last sent and answers what differs in the next state. */
export class StateDiffer {
  private readonly fields = new Map<string, string>();
  private readonly splits = new Map<number, string>();
  private history: readonly HistoryPoint[] = [];

  /** The patch from the previous state to `next`, which becomes the new baseline. */
  diff(next: DashboardState): StatePatch {
    const { splits, history, ...top } = next;
    const changed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(top)) {
      const text = JSON.stringify(value);
      if (ALWAYS_CHANGING.has(key) || this.fields.get(key) !== text) changed[key] = value;
      this.fields.set(key, text);
    }
    return { changed: changed as Partial<TopLevel>, splits: this.changedSplits(splits), ...this.historyChange(history) };
  }

  private changedSplits(splits: readonly Split[]): Split[] {
    const changed: Split[] = [];
    for (const split of splits) {
      const text = JSON.stringify(split);
      if (this.splits.get(split.id) === text) continue;
      this.splits.set(split.id, text);
      changed.push(split);
    }
    return changed;
  }

  /** Appended points, or every point when earlier ones changed (the history thins itself past its cap). */
  private historyChange(history: readonly HistoryPoint[]): Pick<StatePatch, 'history' | 'historyReset'> {
    const previous = this.history;
    this.history = history;
    const kept = previous.length <= history.length && previous.every((point, index) => point === history[index] || samePoint(point, history[index]));
    return kept ? { history: history.slice(previous.length), historyReset: false } : { history, historyReset: true };
  }
}

function samePoint(a: HistoryPoint, b: HistoryPoint | undefined): boolean {
  return b !== undefined && a[0] === b[0] && a[1] === b[1];
}
