export { ChunkWriter } from './chunk-writer.js';
export { ValueEncodeError } from './encode-error.js';
export { createRowEncoder, copyEscape } from './row-encoder.js';
export type { RowEncoder } from './row-encoder.js';
