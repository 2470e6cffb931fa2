/**
 * The hooks the runtime runs in its own namespaces (prestart, createRuntime, poststart,
 * poststop): each program gets the state on stdin, exactly its configured argv and environment,
 * and is killed (SIGKILL) once past its timeout.
 */
import { spawnSync } from 'child_process';
import type { HookCommand } from '../plan/types';
import type { HookKind } from '../plan/hooks';
import { ContainerError } from '../errors';

/** How much of a failed hook's output an error message quotes. */
const OUTPUT_QUOTED = 200;

/** "A=B" entries as the object spawn takes; the last definition of a name wins, as in a shell. */
function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function quoted(output: Buffer | null): string {
  const text = (output ?? Buffer.alloc(0)).toString('utf8').trim().replace(/\s*\n\s*/g, ' ');
  return text ? `, output: ${text.slice(0, OUTPUT_QUOTED)}` : '';
}

/** Run one hook; throws ContainerError "error running <kind> hook #i (path): why". */
export function runHook(kind: HookKind, index: number, hook: HookCommand, state: string): void {
  const r = spawnSync(hook.path, hook.args.slice(1), {
    argv0: hook.args[0],
    env: envObject(hook.env),
    input: state,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: hook.timeout > 0 ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
  });
  const where = `error running ${kind} hook #${index} (${hook.path})`;
  const output = quoted(r.stdout && r.stderr ? Buffer.concat([r.stdout, r.stderr]) : null);
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') throw new ContainerError(`${where}: ran past its timeout of ${hook.timeout}s and was killed${output}`);
  // EPIPE: the hook did not read all of its stdin, which is its business.
  if (r.error && code !== 'EPIPE') throw new ContainerError(`${where}: ${code ?? r.error.message}`);
  if (r.signal) throw new ContainerError(`${where}: killed by ${r.signal}${output}`);
  if (r.status !== 0) throw new ContainerError(`${where}: exit status ${r.status}${output}`);
}

/** Run the hooks of one kind in order; the first failure throws. */
export function runHooks(kind: HookKind, hooks: readonly HookCommand[], state: string): void {
  hooks.forEach((hook, i) => runHook(kind, i, hook, state));
}

/** Run them all, reporting each failure to `warn` (poststart and poststop: the spec's rule). */
export function runHooksWarning(kind: HookKind, hooks: readonly HookCommand[], state: string, warn: (message: string) => void): void {
  hooks.forEach((hook, i) => {
    try {
      runHook(kind, i, hook, state);
    } catch (err) {
      if (!(err instanceof ContainerError)) throw err;
      warn(err.message);
    }
  });
}
