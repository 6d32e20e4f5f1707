import { pgTypeOf, targetColumnName, type CqlType, type SourceTable } from '../schema/index.js';
import { binaryFits } from './binary-types.js';
import type { CopyFormat } from './row-encoder.js';

const TEXT: CqlType = { kind: 'scalar', name: 'text' };

/** What the user asked for: binary where the target's columns take it (auto), or one format always. */
export type WantedCopyFormat = 'auto' | CopyFormat;

export interface ChosenCopyFormat {
  readonly format: CopyFormat;
  /** Why, in a line for the log and the report. */
  readonly reason: string;
  /** Columns whose target type differs from the one COPY binary writes: `"name" is varchar(20), binary writes text`. */
  readonly mismatches: readonly string[];
}

/**
 * Binary needs each target column to have exactly the type c2y writes (or one with the same bytes and meaning:
 * see binaryFits); `auto` takes binary when every column does, and text otherwise; `binary` leaves the refusal to
 * the caller, which names the columns.
 */
export function chooseCopyFormat(table: SourceTable, targetTypes: ReadonlyMap<string, { readonly oid: number; readonly type: string }>, wanted: WantedCopyFormat): ChosenCopyFormat {
  if (wanted === 'text') return { format: 'text', reason: 'target.copyFormat is text', mismatches: [] };
  const typeOf = (name: string): string => targetTypes.get(name)?.type ?? 'missing';
  const mismatches = [
    ...table.columns
      .filter((column) => !binaryFits(column.type, targetTypes.get(targetColumnName(column))?.oid ?? -1))
      .map((column) => `"${targetColumnName(column)}" is ${typeOf(targetColumnName(column))}, binary writes ${pgTypeOf(column.type).sql}`),
    // A constant is written as text's bytes: its column must take them.
    ...(table.constants ?? [])
      .filter((constant) => !binaryFits(TEXT, targetTypes.get(constant.name)?.oid ?? -1))
      .map((constant) => `"${constant.name}" (a constant) is ${typeOf(constant.name)}, binary writes text`),
  ];
  if (mismatches.length === 0) return { format: 'binary', reason: wanted === 'binary' ? 'target.copyFormat is binary' : 'every target column takes COPY binary (target.copyFormat: auto)', mismatches };
  return { format: 'text', reason: `COPY text: target columns of another type than c2y creates (${mismatches.join('; ')})`, mismatches };
}
