/**
 * Logging as runc does it (logrus): `time="…" level=error msg="…"` in text format, one JSON object
 * per line in json format. With --log the entries go to that file and a fatal error is also
 * printed plainly on stderr (containerd and podman read the file; people read stderr).
 */
import * as fs from 'fs';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
  ) {}

  get toStderr(): boolean {
    return this.file === undefined;
  }

  debug(msg: string): void {
    if (this.debugEnabled) this.write('debug', msg);
  }

  warn(msg: string): void {
    this.write('warning', msg);
  }

  error(msg: string): void {
    this.write('error', msg);
  }

  private write(level: Level, msg: string): void {
    const line = this.render(level, msg) + '\n';
    if (this.file === undefined) {
      fs.writeSync(2, line);
    } else {
      fs.appendFileSync(this.file, line);
    }
  }

  private render(level: Level, msg: string): string {
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (this.format === 'json') return JSON.stringify({ level, msg, time });
    return `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  }
}
