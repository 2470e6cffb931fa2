/**
 * Small executable CNI plugins for the protocol tests: /bin/sh scripts in a bin directory that
 * record every call (command, CNI_* environment, stdin) in a log directory, then do what the test
 * says (print a result, an error JSON, garbage, sleep).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface RecordedCall {
  plugin: string;
  command: string;
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

export class FakePlugins {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'cni-fake-'));
  readonly binDirs = [path.join(this.root, 'bin1'), path.join(this.root, 'bin2')];
  readonly cacheDir = path.join(this.root, 'cache');
  private readonly log = path.join(this.root, 'log');

  constructor() {
    for (const d of [...this.binDirs, this.log]) fs.mkdirSync(d);
  }

  /** A plugin `type` in bin directory `dir` (0 or 1) that records the call, then runs `body` (sh). */
  write(type: string, body: string, dir = 0): void {
    const file = path.join(this.binDirs[dir], type);
    const record = [
      '#!/bin/sh',
      `n=$(printf %04d "$(ls ${this.log} | wc -l)")`,
      `in=$(cat)`,
      `printf '%s' "$in" > ${this.log}/$n.${dir}.${type}.$CNI_COMMAND.stdin`,
      `env | grep '^CNI_' > ${this.log}/$n.${dir}.${type}.$CNI_COMMAND.env.tmp`,
      `mv ${this.log}/$n.${dir}.${type}.$CNI_COMMAND.env.tmp ${this.log}/$n.${dir}.${type}.$CNI_COMMAND.env`,
    ].join('\n');
    fs.writeFileSync(file, `${record}\n${body}\n`, { mode: 0o755 });
  }

  /** A plugin answering ADD with `result` (JSON) and nothing to the other commands. */
  answering(type: string, result: unknown, dir = 0): void {
    this.write(type, `[ "$CNI_COMMAND" = ADD ] && printf '%s' '${JSON.stringify(result)}'\nexit 0`, dir);
  }

  /** A plugin answering ADD with its prevResult (as chained plugins such as portmap do), or `fallback` when it has none. */
  passing(type: string, fallback: unknown, dir = 0): void {
    const script = `const c=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(c.prevResult??${JSON.stringify(fallback)}))`;
    this.write(type, `[ "$CNI_COMMAND" = ADD ] && printf '%s' "$in" | ${process.execPath} -e "${script.replace(/"/g, '\\"')}"\nexit 0`, dir);
  }

  calls(): RecordedCall[] {
    return fs
      .readdirSync(this.log)
      .filter((n) => n.endsWith('.stdin'))
      .sort()
      .map((n) => {
        const [, , plugin, command] = n.split('.');
        const base = path.join(this.log, n.slice(0, -'.stdin'.length));
        const env = Object.fromEntries(
          fs
            .readFileSync(`${base}.env`, 'utf8')
            .split('\n')
            .filter((l) => l)
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        const text = fs.readFileSync(`${base}.stdin`, 'utf8');
        return { plugin, command, env, stdin: text ? JSON.parse(text) : {} };
      });
  }

  clearCalls(): void {
    for (const n of fs.readdirSync(this.log)) fs.rmSync(path.join(this.log, n));
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
