export { ChunkWriter } from './chunk-writer.js';
export { ValueEncodeError } from './encode-error.js';
export { createRowEncoder } from './row-encoder.js';
export { averageEncodedRowBytes, decodedRowBytes } from './row-size.js';
export { copyEscape, decimalText, uuidText, inetText } from './fast-text.js';
export type { RowEncoder } from './row-encoder.js';
export { jsonMapKey } from './value-text.js';
