/** create, start, run, kill, delete. */
import * as fs from 'fs';
import * as path from 'path';
import { ConsoleChannel, openConsoleChannel } from '../../console/channel';
import { runContainer } from '../../lifecycle/run';
import { createContainer, deleteContainer, killContainer, startContainer } from '../../lifecycle/stored';
import { TsrunError } from '../../../common/errors';
import { parseSignal } from '../../signals';
import type { FlagSpec, FlagValues } from '../args';
import type { Command } from '../command';
import type { Logger } from '../log';

const createFlags: FlagSpec[] = [
  { name: 'bundle', short: 'b', kind: 'string', usage: 'path to the root of the bundle directory, defaults to the current directory', default: '' },
  { name: 'pid-file', kind: 'string', usage: 'specify the file to write the process id to' },
  { name: 'no-pivot', kind: 'bool', usage: 'do not use pivot root to jail process inside rootfs', default: false },
  { name: 'no-new-keyring', kind: 'bool', usage: 'do not create a new session keyring for the container', default: false },
  { name: 'preserve-fds', kind: 'int', usage: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: 0 },
  {
    name: 'console-socket',
    kind: 'string',
    usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
  },
];

/**
 * process.terminal of the bundle's config.json, read ahead of create for runc's console checks;
 * a config that cannot be read says false here and is reported by create itself.
 */
function configWantsTerminal(bundle: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'))?.process?.terminal === true;
  } catch {
    return false;
  }
}

/** The console channel of the container about to be made (null without a terminal); the caller closes it. */
function consoleChannel(flags: FlagValues, detach: boolean): ConsoleChannel | null {
  const bundle = path.resolve((flags.bundle as string) || '.');
  const socket = flags['console-socket'] ? path.resolve(flags['console-socket'] as string) : undefined;
  return openConsoleChannel(configWantsTerminal(bundle), detach, socket);
}

function createOptions(id: string, flags: FlagValues, log: Logger) {
  const listenFds = Number(process.env.LISTEN_FDS ?? 0) || 0;
  return {
    id,
    bundle: path.resolve((flags.bundle as string) || '.'),
    pidFile: flags['pid-file'] ? path.resolve(flags['pid-file'] as string) : undefined,
    noPivot: flags['no-pivot'] as boolean,
    noNewKeyring: flags['no-new-keyring'] as boolean,
    preserveFds: (flags['preserve-fds'] as number) + listenFds,
    warn: (message: string) => log.warn(message),
  };
}

export const create: Command = {
  name: 'create',
  usage: 'create a container',
  argsUsage: '<container-id>',
  flags: createFlags,
  args: 1,
  async run(flags, [id], { store, log }) {
    const channel = consoleChannel(flags, true);
    try {
      (await createContainer(store, { ...createOptions(id, flags, log), consoleSocket: channel?.initFd })).dir.release();
    } finally {
      channel?.close();
    }
    return 0;
  },
};

export const start: Command = {
  name: 'start',
  usage: 'executes the user defined process in a created container',
  argsUsage: '<container-id>',
  flags: [],
  args: 1,
  async run(_flags, [id], { store, log }) {
    const dir = store.open(id);
    if (!dir) throw new TsrunError('container does not exist');
    try {
      await startContainer(store, dir, (message) => log.warn(message));
    } finally {
      dir.release();
    }
    return 0;
  },
};

export const run: Command = {
  name: 'run',
  usage: 'create and run a container',
  argsUsage: '<container-id>',
  flags: [
    ...createFlags,
    { name: 'detach', short: 'd', kind: 'bool', usage: 'detach from the container\'s process', default: false },
    { name: 'keep', kind: 'bool', usage: 'do not delete the container after it exits', default: false },
  ],
  args: 1,
  async run(flags, [id], { store, log }) {
    const detach = flags.detach as boolean;
    const channel = consoleChannel(flags, detach);
    try {
      return await runContainer(store, { ...createOptions(id, flags, log), consoleSocket: channel?.initFd }, { detach, keep: flags.keep as boolean, console: channel });
    } finally {
      channel?.close();
    }
  },
};

export const kill: Command = {
  name: 'kill',
  usage: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
  argsUsage: '<container-id> [signal]',
  flags: [{ name: 'all', short: 'a', kind: 'bool', usage: 'send the specified signal to all processes inside the container', default: false }],
  args: [1, 2],
  async run(flags, [id, signal], { store }) {
    await killContainer(store, id, parseSignal(signal ?? 'SIGTERM'), flags.all as boolean);
    return 0;
  },
};

export const del: Command = {
  name: 'delete',
  usage: 'delete any resources held by the container often used with detached container',
  argsUsage: '<container-id>',
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Forcibly deletes the container if it is still running (uses SIGKILL)', default: false }],
  args: 1,
  async run(flags, [id], { store, log }) {
    await deleteContainer(store, id, flags.force as boolean, (message) => log.warn(message));
    return 0;
  },
};
