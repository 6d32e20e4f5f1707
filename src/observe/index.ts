export { createLogger, maskSecrets } from './logger.js';
export type { Logger, LogFields, LogLevel, LoggerOptions } from './logger.js';
