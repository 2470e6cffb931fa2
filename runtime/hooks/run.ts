/**
 * The hooks the runtime runs in its own namespaces (prestart, createRuntime, poststart,
 * poststop): each program gets the state on stdin, exactly its configured argv and environment,
 * and is killed (HOOK_KILL_SIGNAL, as the in-container hooks are) once past its timeout. tsrun waits for them (runHooks); tsrund, whose
 * event loop serves every container, runs them without blocking (runHooksAsync): both judge a
 * run the same way (hookError).
 */
import { spawn, spawnSync } from 'child_process';
import type { HookCommand } from '../plan/types';
import { HOOK_KILL_SIGNAL, HOOK_OUTPUT_QUOTED, type HookKind } from '../plan/hooks';
import { TsrunError } from '../../common/errors';

/** How much output of each stream a hook may write before it is killed (ENOBUFS). */
const MAX_OUTPUT = 16 << 20;

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
  return text ? `, output: ${text.slice(0, HOOK_OUTPUT_QUOTED)}` : '';
}

/** How one run of a hook ended, whichever way it was run. */
interface HookRun {
  /** The error spawning or running it (ETIMEDOUT: past its timeout), if any. */
  error?: NodeJS.ErrnoException;
  signal: NodeJS.Signals | null;
  status: number | null;
  /** stdout then stderr; null when it could not be collected. */
  output: Buffer | null;
}

/** The error "error running <kind> hook #i (path): why", or null for a hook that succeeded. */
function hookError(kind: HookKind, index: number, hook: HookCommand, r: HookRun): TsrunError | null {
  const where = `error running ${kind} hook #${index} (${hook.path})`;
  const output = quoted(r.output);
  const code = r.error?.code;
  if (code === 'ETIMEDOUT') return new TsrunError(`${where}: ran past its timeout of ${hook.timeout}s and was killed${output}`);
  // EPIPE: the hook did not read all of its stdin, which is its business.
  if (r.error && code !== 'EPIPE') return new TsrunError(`${where}: ${code ?? r.error.message}`);
  if (r.signal) return new TsrunError(`${where}: killed by ${r.signal}${output}`);
  if (r.status !== 0) return new TsrunError(`${where}: exit status ${r.status}${output}`);
  return null;
}

const spawnOptions = (hook: HookCommand) => ({ argv0: hook.args[0], env: envObject(hook.env), stdio: ['pipe', 'pipe', 'pipe'] as ('pipe')[] });

/** Run one hook; throws TsrunError "error running <kind> hook #i (path): why". */
export function runHook(kind: HookKind, index: number, hook: HookCommand, state: string): void {
  const r = spawnSync(hook.path, hook.args.slice(1), {
    ...spawnOptions(hook),
    input: state,
    timeout: hook.timeout > 0 ? hook.timeout * 1000 : undefined,
    killSignal: HOOK_KILL_SIGNAL,
    maxBuffer: MAX_OUTPUT,
  });
  const output = r.stdout && r.stderr ? Buffer.concat([r.stdout, r.stderr]) : null;
  const err = hookError(kind, index, hook, { error: r.error as NodeJS.ErrnoException | undefined, signal: r.signal, status: r.status, output });
  if (err) throw err;
}

/** runHook without blocking: the same program, input, timeout and output limit, the same errors. */
export function runHookAsync(kind: HookKind, index: number, hook: HookCommand, state: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(hook.path, hook.args.slice(1), spawnOptions(hook));
    const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let error: NodeJS.ErrnoException | undefined;
    const kill = (code: string) => {
      error ??= Object.assign(new Error(code), { code });
      child.kill(HOOK_KILL_SIGNAL);
    };
    const timer = hook.timeout > 0 ? setTimeout(() => kill('ETIMEDOUT'), hook.timeout * 1000) : null;
    for (const name of ['stdout', 'stderr'] as const) {
      let size = 0;
      child[name]!.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT) return kill('ENOBUFS');
        streams[name].push(chunk);
      });
    }
    child.stdin!.on('error', (err: NodeJS.ErrnoException) => (error ??= err));
    child.stdin!.end(state);
    let finished = false;
    const finish = (status: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      const output = Buffer.concat([...streams.stdout, ...streams.stderr]);
      const err = hookError(kind, index, hook, { error, signal, status, output });
      if (err) reject(err);
      else resolve();
    };
    // A program that could not be run: 'close' need not follow.
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      error = err;
      finish(null, null);
    });
    child.once('close', finish);
  });
}

/** Run the hooks of one kind in order; the first failure throws. */
export function runHooks(kind: HookKind, hooks: readonly HookCommand[], state: string): void {
  hooks.forEach((hook, i) => runHook(kind, i, hook, state));
}

/** runHooks without blocking. */
export async function runHooksAsync(kind: HookKind, hooks: readonly HookCommand[], state: string): Promise<void> {
  for (const [i, hook] of hooks.entries()) await runHookAsync(kind, i, hook, state);
}

/** A hook failure as a warning, other errors thrown. */
function warnOf(warn: (message: string) => void): (err: unknown) => void {
  return (err) => {
    if (!(err instanceof TsrunError)) throw err;
    warn(err.message);
  };
}

/** Run them all, reporting each failure to `warn` (poststart and poststop: the spec's rule). */
export function runHooksWarning(kind: HookKind, hooks: readonly HookCommand[], state: string, warn: (message: string) => void): void {
  const warned = warnOf(warn);
  hooks.forEach((hook, i) => {
    try {
      runHook(kind, i, hook, state);
    } catch (err) {
      warned(err);
    }
  });
}

/** runHooksWarning without blocking. */
export async function runHooksWarningAsync(kind: HookKind, hooks: readonly HookCommand[], state: string, warn: (message: string) => void): Promise<void> {
  for (const [i, hook] of hooks.entries()) await runHookAsync(kind, i, hook, state).catch(warnOf(warn));
}
