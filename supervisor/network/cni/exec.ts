/**
 * Running one plugin: found in the bin directories in order, given the CNI_* environment and its
 * configuration on stdin, killed (with everything it started) when it outlives the timeout. Every
 * way it can fail — missing, crashing, an error JSON, garbage, too slow — is one CniPluginError.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CniCommand, CniPluginError } from './errors';
import { isObject, MAX_JSON_BYTES, parseBoundedJson } from './json';
import { PLUGIN_TYPE } from './config';

export interface PluginCall {
  plugin: string;
  command: CniCommand;
  network: string;
  /** CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS as the command needs them. */
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

const STDERR_KEPT = 4096;

export class PluginExec {
  constructor(
    private readonly binDirs: string[],
    private readonly timeoutMs: number,
  ) {}

  /** The plugin's stdout parsed as JSON; undefined when it wrote nothing. */
  async run(call: PluginCall): Promise<unknown> {
    const file = this.find(call);
    const { status, stdout, stderr, failure } = await this.spawnPlugin(file, call);
    const fail = (code: number, msg: string, details = '') => new CniPluginError(call.plugin, call.command, call.network, code, msg, details);
    if (failure) throw fail(0, failure);
    let output: unknown;
    try {
      output = stdout.trim() === '' ? undefined : parseBoundedJson(stdout);
    } catch (err) {
      if (status === 0) throw fail(0, `invalid output: ${(err as Error).message}`);
    }
    if (status !== 0) {
      if (isObject(output) && (typeof output.msg === 'string' || typeof output.code === 'number')) {
        const code = typeof output.code === 'number' ? output.code : 0;
        throw fail(code, typeof output.msg === 'string' ? output.msg : `error code ${code}`, typeof output.details === 'string' ? output.details : '');
      }
      throw fail(0, lastLine(stderr) || lastLine(stdout) || (typeof status === 'number' ? `exited with status ${status}` : `killed by ${status}`));
    }
    return output;
  }

  private find(call: PluginCall): string {
    // A list's types were checked when it was parsed; VERSION takes a type from anyone.
    if (!PLUGIN_TYPE.test(call.plugin)) throw new CniPluginError(call.plugin, call.command, call.network, 0, 'not a plugin name');
    for (const dir of this.binDirs) {
      const file = path.join(dir, call.plugin);
      try {
        if (fs.statSync(file).isFile()) {
          fs.accessSync(file, fs.constants.X_OK);
          return file;
        }
      } catch {
        // Not here (or not executable): the next directory may have it.
      }
    }
    throw new CniPluginError(call.plugin, call.command, call.network, 0, `not found in ${this.binDirs.join(', ') || '(no bin directory)'}`);
  }

  private spawnPlugin(file: string, call: PluginCall): Promise<{ status: number | string; stdout: string; stderr: string; failure?: string }> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CNI_') && v !== undefined) env[k] = v;
    Object.assign(env, call.env, { CNI_COMMAND: call.command, CNI_PATH: this.binDirs.join(':') });
    return new Promise((resolve) => {
      // Its own process group, so that a timeout kills whatever the plugin started too.
      const child = spawn(file, [], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let failure: string | undefined;
      const kill = (why: string) => {
        failure ??= why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => kill(`timed out after ${this.timeoutMs} ms (killed)`), this.timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > MAX_JSON_BYTES) return kill(`wrote more than ${MAX_JSON_BYTES} bytes to stdout (killed)`);
        out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString('utf8')).slice(-STDERR_KEPT);
      });
      // A plugin may exit without reading its configuration: EPIPE is its business, not a crash here.
      child.stdin.on('error', () => undefined);
      const finish = (status: number | string) => {
        clearTimeout(timer);
        resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: err, failure });
      };
      child.on('error', (e) => {
        failure ??= `cannot run ${file}: ${e.message}`;
        finish('error');
      });
      child.on('close', (code, signal) => finish(code ?? signal ?? 'error'));
      child.stdin.end(JSON.stringify(call.stdin));
    });
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length > 0 ? lines[lines.length - 1] : '';
}
