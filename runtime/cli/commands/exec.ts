/** `exec`: a new process in a running container, with runc 1.1's flags, messages and exit codes. */
import * as path from 'path';
import { execInContainer } from '../../lifecycle/exec';
import { TsrunError } from '../../../common/errors';
import type { FlagValues } from '../args';
import type { Command } from '../command';

const list = (flags: FlagValues, name: string): string[] => (flags[name] as string[] | undefined) ?? [];
const absolute = (flags: FlagValues, name: string): string | undefined =>
  flags[name] ? path.resolve(flags[name] as string) : undefined;

function gids(values: string[]): number[] {
  return values.map((v) => {
    if (!/^-?\d+$/.test(v)) throw new TsrunError(`invalid value "${v}" for flag -additional-gids: must be an integer`);
    return Number(v);
  });
}

export const exec: Command = {
  name: 'exec',
  usage: 'execute new process inside the container',
  argsUsage: '<container-id> <command> [command options]  || -p process.json <container-id>',
  flags: [
    {
      name: 'console-socket',
      kind: 'string',
      usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
    },
    { name: 'cwd', kind: 'string', usage: 'current working directory in the container' },
    { name: 'env', short: 'e', kind: 'list', usage: 'set environment variables' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'UID (format: <uid>[:<gid>])' },
    { name: 'additional-gids', short: 'g', kind: 'list', usage: 'additional gids' },
    { name: 'process', short: 'p', kind: 'string', usage: 'path to the process.json' },
    { name: 'detach', short: 'd', kind: 'bool', usage: "detach from the container's process", default: false },
    { name: 'pid-file', kind: 'string', usage: 'specify the file to write the process id to' },
    { name: 'process-label', kind: 'string', usage: 'set the asm process label for the process commonly used with selinux' },
    { name: 'apparmor', kind: 'string', usage: 'set the apparmor profile for the process' },
    { name: 'no-new-privs', kind: 'bool', usage: 'set the no new privileges value for the process' },
    { name: 'cap', short: 'c', kind: 'list', usage: 'add a capability to the bounding set for the process' },
    { name: 'preserve-fds', kind: 'int', usage: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
    { name: 'cgroup', kind: 'list', usage: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.' },
    { name: 'ignore-paused', kind: 'bool', usage: 'allow exec in a paused container', default: false },
  ],
  args: [1, -1],
  async run(flags, [id, ...args], { store, log }) {
    try {
      const processFile = absolute(flags, 'process');
      if (!processFile && args.length === 0) throw new TsrunError('process args cannot be empty');
      const listenFds = Number(process.env.LISTEN_FDS ?? 0) || 0;
      return await execInContainer(store, {
        id,
        processFile,
        overrides: {
          args,
          cwd: flags.cwd as string | undefined,
          env: list(flags, 'env'),
          tty: flags.tty as boolean | undefined,
          user: flags.user as string | undefined,
          additionalGids: gids(list(flags, 'additional-gids')),
          caps: list(flags, 'cap'),
          noNewPrivs: flags['no-new-privs'] as boolean | undefined,
          apparmor: flags.apparmor as string | undefined,
          processLabel: flags['process-label'] as string | undefined,
        },
        consoleSocket: absolute(flags, 'console-socket'),
        detach: flags.detach as boolean,
        pidFile: absolute(flags, 'pid-file'),
        preserveFds: (flags['preserve-fds'] as number) + listenFds,
        ignorePaused: flags['ignore-paused'] as boolean,
        cgroups: list(flags, 'cgroup'),
      });
    } catch (err) {
      if (!(err instanceof TsrunError)) throw err;
      // As runc 1.1: "exec failed: ..." and status 255, so a caller tells it from the process's own.
      const text = `exec failed: ${err.message}`;
      log.error(text);
      if (!log.toStderr) process.stderr.write(text + '\n');
      return 255;
    }
  },
};
