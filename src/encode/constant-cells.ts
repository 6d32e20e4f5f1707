import type { SourceTable } from '../schema/index.js';
import { copyEscape } from './fast-text.js';
import type { CopyFormat } from './row-encoder.js';

/**
 * The bytes every row ends with for the table's constant columns (columns.constants), made once: in text a tab and
 * the escaped value each, in binary each value's length and UTF-8 bytes (the columns take text's binary form).
 */
export function constantsSuffix(table: SourceTable, format: CopyFormat): Buffer | undefined {
  const constants = table.constants ?? [];
  if (constants.length === 0) return undefined;
  if (format === 'text') return Buffer.from(constants.map((constant) => `\t${copyEscape(constant.value)}`).join(''), 'utf8');
  return Buffer.concat(constants.map((constant) => {
    const value = Buffer.from(constant.value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeInt32BE(value.length);
    return Buffer.concat([length, value]);
  }));
}

/** Fields a binary row holds: the columns, then the constants. */
export function binaryFieldCount(table: SourceTable): number {
  return table.columns.length + (table.constants?.length ?? 0);
}
