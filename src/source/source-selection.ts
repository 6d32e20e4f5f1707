import { C2yError } from '../errors/index.js';
import { isWholeRing, selectedWidth, selectionText, tokenSelection, type TokenSelection } from '../plan/index.js';
import type { SourceTable } from '../schema/index.js';
import { parseSourceFilter, type SourceFilter } from './source-filter.js';

/** What of the table a run reads: its token ranges (source.tokenRanges − skipTokenRanges) and source.where. */
export interface SourceSelection {
  readonly tokens: TokenSelection;
  readonly filter: SourceFilter | undefined;
}

interface SelectionSettings {
  readonly source: { readonly tokenRanges: readonly string[]; readonly skipTokenRanges: readonly string[]; readonly where?: string | undefined };
}

/** The config's selection, checked against the table (refused before any row moves). */
export function sourceSelection(config: SelectionSettings, table: SourceTable): SourceSelection {
  const tokens = tokenSelection(config.source.tokenRanges, config.source.skipTokenRanges);
  if (tokens.length === 0) {
    throw new C2yError('CONFIG_INVALID', 'source.skipTokenRanges leaves out every token of source.tokenRanges: the run would read nothing', { hint: 'narrow source.skipTokenRanges, or widen source.tokenRanges' });
  }
  return { tokens, filter: config.source.where === undefined ? undefined : parseSourceFilter(config.source.where, table) };
}

/** One line a resume must match: the ranges and the condition its splits were cut and read with. */
export function selectionRecord(selection: SourceSelection): string | undefined {
  if (isWholeRing(selection.tokens) && selection.filter === undefined) return undefined;
  return JSON.stringify({ tokenRanges: selectionText(selection.tokens), where: selection.filter?.cql ?? null });
}

/** The share of the ring's tokens selected: what the table's size estimate is scaled by. */
export function selectedShare(selection: SourceSelection): number {
  return Number((selectedWidth(selection.tokens) * 1_000_000n) / (2n ** 64n - 1n)) / 1_000_000;
}
