/** runHook (tsrun's, blocking) and runHookAsync (tsrund's) judge every way a hook can end alike. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { HookCommand } from '../plan/types';
import { runHook, runHookAsync, runHooksWarningAsync } from './run';

const sh = (script: string, o: Partial<HookCommand> = {}): HookCommand => ({ path: '/bin/sh', args: ['sh', '-c', script], env: [], timeout: 0, ...o });

/** Larger than a pipe holds: a hook that does not read it all leaves the runner an EPIPE. */
const LARGE_STATE = JSON.stringify({ id: 'x', padding: 'x'.repeat(1 << 20) });

/** What each runner makes of `hook`: null (success) or its error message. */
async function outcomes(hook: HookCommand, state = LARGE_STATE): Promise<[string | null, string | null]> {
  let sync: string | null = null;
  try {
    runHook('createRuntime', 2, hook, state);
  } catch (err) {
    sync = (err as Error).message;
  }
  const async = await runHookAsync('createRuntime', 2, hook, state).then(
    () => null,
    (err: Error) => err.message,
  );
  return [sync, async];
}

test.each<[string, HookCommand, string | null]>([
  ['success, reading its state', sh('cat >/dev/null'), null],
  ['success, not reading its state', sh('exit 0'), null],
  ['an exit status, its output quoted', sh('echo out; echo err >&2; exit 3'), 'error running createRuntime hook #2 (/bin/sh): exit status 3, output: out err'],
  ['a signal', sh('kill -TERM $$'), 'error running createRuntime hook #2 (/bin/sh): killed by SIGTERM'],
  ['a program that is not there', { path: '/no/such/hook', args: ['hook'], env: [], timeout: 0 }, 'error running createRuntime hook #2 (/no/such/hook): ENOENT'],
  ['its timeout', sh('echo started; exec sleep 10', { timeout: 1 }), 'error running createRuntime hook #2 (/bin/sh): ran past its timeout of 1s and was killed, output: started'],
])('%s', async (_what, hook, message) => {
  expect(await outcomes(hook)).toEqual([message, message]);
});

test('both run exactly the configured argv (argv[0] included) and environment, the state on stdin', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hook-run-'));
  const script = 'tr "\\0" " " </proc/$$/cmdline >"$OUT"; echo >>"$OUT"; cat >>"$OUT"; echo >>"$OUT"; env | grep -v -e ^PWD= -e ^SHLVL= -e ^_= | sort >>"$OUT"';
  const seen = async (run: typeof runHookAsync | typeof runHook, out: string) => {
    await run('poststart', 0, sh(script, { args: ['argv-zero', '-c', script, 'one'], env: ['HOOK_VAR=v', 'HOOK_VAR=last', `OUT=${out}`] }), '{"state":1}');
    return fs.readFileSync(out, 'utf8').replace(out, 'OUT');
  };
  try {
    const sync = await seen(runHook, path.join(dir, 'sync'));
    expect(sync).toBe(`argv-zero -c ${script} one \n{"state":1}\nHOOK_VAR=last\nOUT=OUT\n`);
    expect(await seen(runHookAsync, path.join(dir, 'async'))).toBe(sync);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runHooksWarningAsync warns of each failure and runs the rest', async () => {
  const warnings: string[] = [];
  await runHooksWarningAsync('poststop', [sh('exit 1'), sh('exit 0'), sh('exit 2')], '{}', (m) => warnings.push(m));
  expect(warnings).toEqual(['error running poststop hook #0 (/bin/sh): exit status 1', 'error running poststop hook #2 (/bin/sh): exit status 2']);
});
