/**
 * Where tsrund's parts report what an operator should know. The daemon (daemon/logger.ts) makes
 * the one that writes; the layers below are handed it and never know where it writes.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}
