/** tsrund's log: one line per entry on stderr, `time level message`, below --log-level dropped. */
import type { Logger } from '../shared/logger';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class LineLogger implements Logger {
  private readonly min: number;

  constructor(
    level: LogLevel,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l),
  ) {
    this.min = LOG_LEVELS.indexOf(level);
  }

  debug(msg: string): void {
    this.entry('debug', msg);
  }

  info(msg: string): void {
    this.entry('info', msg);
  }

  warn(msg: string): void {
    this.entry('warn', msg);
  }

  error(msg: string): void {
    this.entry('error', msg);
  }

  private entry(level: LogLevel, msg: string): void {
    if (LOG_LEVELS.indexOf(level) < this.min) return;
    this.write(`${new Date().toISOString()} ${level} ${msg}\n`);
  }
}
