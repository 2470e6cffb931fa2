/**
 * tsctl's exit status on a failure, as docker's: 125 for a flag tsctl refused, on any command;
 * on run, create and exec (the commands whose status is otherwise the container's) 125
 * for every failure of tsctl or tsrund, except the container's command that could not be run: 126
 * when it cannot be invoked (not executable), 127 when it is not there. Other commands exit 1
 * (`start`, `start -a` too, as docker's).
 */
import { exitStatusOf } from '../../runtime/cli/command';
import { UsageError } from './parser';

/** The commands that answer with the container's status, and so keep 125-127 for their own failures. */
const CONTAINER_STATUS_COMMANDS = new Set(['run', 'create', 'exec']);

/**
 * 126 or 127 when `message` is tsrund's account of the container's command failing exec(2), in
 * the words tsrund renders it with (runc's, runtime/plan/render-failure.ts); else null. As
 * docker's daemon, which reads runc's message the same way.
 */
export function commandNotRunStatus(message: string): 126 | 127 | null {
  const m = /\bexec: "[^"]*": (executable file not found in \$PATH|E[A-Z]+)\b/.exec(message);
  if (!m) return null;
  if (m[1] === 'ENOENT' || m[1] === 'ENOTDIR' || m[1].startsWith('executable file not found')) return 127;
  if (m[1] === 'EACCES' || m[1] === 'ENOEXEC' || m[1] === 'EISDIR' || m[1] === 'EPERM') return 126;
  return null;
}

/** The status tsctl exits with when `command` ('' before one was named) failed with `err`, shown as `message`. */
export function failureStatus(command: string, err: unknown, message: string): number {
  if (err instanceof UsageError && err.flag) return 125;
  if (!CONTAINER_STATUS_COMMANDS.has(command)) return exitStatusOf(err);
  return commandNotRunStatus(message) ?? 125;
}
