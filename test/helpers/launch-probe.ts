/**
 * A CLI's launcher (bin/tsrun, bin/tsctl) run with a module preloaded through NODE_OPTIONS, as a
 * user could preload one, that records what Node was started with as it exits: its execArgv (the
 * snapshot flags) and the modules it loaded from files (none from a snapshot). cleanup() removes
 * the probe's directory.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Started {
  status: number | null;
  stdout: string;
  stderr: string;
  execArgv: string[];
  modules: string[];
}

export class LaunchProbe {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-launch-probe-'));
  private readonly probe = path.join(this.dir, 'probe.js');

  constructor() {
    fs.writeFileSync(
      this.probe,
      `process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({ execArgv: process.execArgv, modules: Object.keys(require('module')._cache) })));\n`,
    );
  }

  /** Run `launcher` with `args` and no environment but PATH (and `env`). */
  start(launcher: string, args: string[], env: Record<string, string> = {}): Started {
    const out = path.join(this.dir, 'probe.json');
    fs.rmSync(out, { force: true });
    const r = spawnSync(launcher, args, { encoding: 'utf8', env: { PATH: process.env.PATH, NODE_OPTIONS: `--require ${this.probe}`, PROBE_OUT: out, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...JSON.parse(fs.readFileSync(out, 'utf8')) };
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
