import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateDiffer, type DashboardState, type StatePatch } from '../../src/ui/index.js';

type Split = DashboardState['splits'][number];

function stateOf(splits: Split[], history: Array<readonly [number, number]>, rows: number): DashboardState {
  return {
    kind: 'migrate', runId: 'r', status: 'running', live: true, source: 's', target: 't', startedAt: 'a', updatedAt: String(rows),
    progress: { rows, committed: 0, estimatedRows: 1, rowsPerSecond: 0, etaSeconds: null, elapsedSeconds: 0, splitsDone: 0, splitsRunning: 0, splitsFailed: 0, splitsTotal: splits.length, retries: 0, rejected: 0, bytes: 0, commits: 0 },
    history, executors: [], splits, nodes: [], planned: null, config: {},
  };
}

/** What the page does with a patch (dashboard-page.ts, applyPatch). */
function apply(state: DashboardState, patch: StatePatch): DashboardState {
  const splits = [...state.splits];
  for (const split of patch.splits) {
    const at = splits.findIndex((s) => s.id === split.id);
    if (at < 0) splits.push(split);
    else splits[at] = split;
  }
  splits.sort((a, b) => a.id - b.id);
  return { ...state, ...patch.changed, splits, history: patch.historyReset ? [...patch.history] : [...state.history, ...patch.history] };
}

const split = fc.record({ id: fc.integer({ min: 0, max: 40 }), state: fc.constantFrom('pending', 'running', 'done'), rows: fc.nat(1000), attempts: fc.nat(3), node: fc.constantFrom(null, 'a:1'), executor: fc.constantFrom(null, 0, 1), lastError: fc.constantFrom(null, 'x') });
const stateArbitrary = fc.tuple(fc.uniqueArray(split, { selector: (s) => s.id, maxLength: 30 }), fc.array(fc.tuple(fc.nat(100), fc.nat(100)), { maxLength: 8 }), fc.nat(100))
  .map(([splits, history, rows]) => stateOf(splits.sort((a, b) => a.id - b.id), history, rows));

describe('dashboard state patches', () => {
  it('rebuild every next state from the previous one, splits only ever added (as in a run)', () => {
    fc.assert(fc.property(fc.array(stateArbitrary, { minLength: 1, maxLength: 6 }), (states) => {
      const differ = new StateDiffer();
      // Splits are never removed from a run's state: each state holds the splits of every earlier one.
      let known = new Map<number, Split>();
      const grown = states.map((state) => {
        known = new Map([...known, ...state.splits.map((s) => [s.id, s] as const)]);
        return { ...state, splits: [...known.values()].sort((a, b) => a.id - b.id) };
      });
      let seen = grown[0] as DashboardState;
      differ.diff(seen);
      for (const next of grown.slice(1)) {
        seen = apply(seen, differ.diff(next));
        expect(seen).toEqual(next);
      }
    }), { numRuns: 300 });
  });

  it('sends only what changed: one split and the clock', () => {
    const splits = Array.from({ length: 100 }, (_, id): Split => ({ id, state: 'pending', rows: 0, attempts: 0, node: null, executor: null, lastError: null }));
    const differ = new StateDiffer();
    differ.diff(stateOf(splits, [[0, 1]], 0));
    const next = splits.map((s) => (s.id === 7 ? { ...s, state: 'running', rows: 5 } : s));
    const patch = differ.diff({ ...stateOf(next, [[0, 1], [1, 2]], 0), updatedAt: 'later' });
    expect(patch.splits).toEqual([next[7]]);
    expect(Object.keys(patch.changed)).toEqual(['updatedAt']);
    expect(patch).toMatchObject({ history: [[1, 2]], historyReset: false });
  });
});
