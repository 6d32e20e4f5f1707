export { changeStream } from './change-stream.js';
export type { ChangeStreamOptions, StreamedLine } from './change-stream.js';
export { parseAgentLine, parsePosition, formatPosition, cdcSpaceWarning } from './agent-events.js';
export type { AgentLine, ChangeLine, LogPosition } from './agent-events.js';
export { ChangeDecoder } from './change-decoder.js';
export type { DecodedChange, DecodedRow } from './change-decoder.js';
