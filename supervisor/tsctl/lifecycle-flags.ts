/**
 * docker's lifecycle run flags for `tsctl run`: --restart no|on-failure[:N]|always|unless-stopped,
 * --init, --stop-signal and --stop-timeout, as that part of ProcessOverrides. Pure: tsrund checks
 * the signal and the values; refused here is what the flags' own grammar does not allow.
 */
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { ProcessOverrides, RestartPolicy } from '../api/types';

export type LifecycleOverrides = Pick<ProcessOverrides, 'restartPolicy' | 'init' | 'stopSignal' | 'stopTimeout'>;

export const LIFECYCLE_RUN_FLAGS: FlagSpec[] = [
  { name: 'restart', kind: 'string', usage: 'no, on-failure[:MAX], always or unless-stopped: what tsrund does when it exits', default: 'no' },
  { name: 'init', kind: 'bool', usage: 'run the command under an init that passes signals on and reaps zombies', default: false },
  { name: 'stop-signal', kind: 'string', usage: "the signal `tsctl stop` sends first (default: the image's StopSignal, else SIGTERM)" },
  { name: 'stop-timeout', kind: 'int', usage: 'seconds `tsctl stop` waits before SIGKILL (default 10; -1: for ever)' },
];

const flagError = (flag: string, value: string, why: string) =>
  new TsrunError(`${flag} ${JSON.stringify(value)}: ${why}`, { code: 'invalid-argument', subject: flag });

/** "on-failure:3" and the like; "no" (or "") is no policy. */
export function parseRestartPolicy(text: string): RestartPolicy | null {
  const [name, max, ...more] = text.split(':');
  if (name === '' || name === 'no') {
    if (max !== undefined) throw flagError('--restart', text, 'only on-failure takes a maximum');
    return null;
  }
  if (!['on-failure', 'always', 'unless-stopped'].includes(name) || more.length > 0) {
    throw flagError('--restart', text, 'give no, on-failure[:MAX], always or unless-stopped');
  }
  if (max === undefined) return { name, maxRetries: 0 };
  if (name !== 'on-failure') throw flagError('--restart', text, 'only on-failure takes a maximum');
  if (!/^\d+$/.test(max)) throw flagError('--restart', text, 'the maximum is a count of restarts');
  return { name, maxRetries: Number(max) };
}

export function lifecycleOverrides(f: FlagValues): LifecycleOverrides {
  const restartPolicy = parseRestartPolicy(f.restart as string);
  if (restartPolicy && f.rm) throw new TsrunError('run: --rm and --restart do not go together', { code: 'invalid-argument', subject: '--restart' });
  const timeout = f['stop-timeout'] as number | undefined;
  return {
    restartPolicy,
    init: f.init === true,
    stopSignal: (f['stop-signal'] as string | undefined) ?? '',
    ...(timeout === undefined ? {} : { stopTimeout: timeout }),
  };
}
