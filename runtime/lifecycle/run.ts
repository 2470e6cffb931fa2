/**
 * `run` (tsrun's): create and start; in the foreground, forward signals to the init, wait for it, delete
 * the container (unless --keep) and exit with its status (128+N when killed by signal N).
 */
import * as os from 'os';
import { attachTerminal } from '../console/tty-proxy';
import type { ConsoleChannel } from '../console/channel';
import { TsrunError } from '../../common/errors';
import { waitExit } from '../native';
import type { StateStore, StoredState } from '../state/store';
import { signalInit } from './signal-init';
import { createContainer, deleteContainer, startContainer, type Created, type CreateOptions } from './stored';
import { phase } from '../trace';

/** Signals a foreground `run` passes on to the container (those Node lets a program handle). */
export const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT',
  'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGPIPE', 'SIGXCPU', 'SIGXFSZ',
];

/** How long output of the terminal is still copied after the container exited. */
const TERMINAL_DRAIN_MS = 2000;

export async function runContainer(
  store: StateStore,
  opts: CreateOptions,
  mode: { detach: boolean; keep: boolean; console?: ConsoleChannel | null },
): Promise<number> {
  // Forwarding begins before the create: create and start run without yielding to the event
  // loop (tsrun's spawner and hooks are synchronous within), so a signal sent meanwhile waits there and reaches the started process (as runc's
  // handler, set up first too, forwards it), instead of ending tsrun with its default action and
  // leaving a created container behind.
  let target: StoredState | null = null;
  const forward = (signal: NodeJS.Signals) => {
    if (!target) return;
    try {
      signalInit(target, os.constants.signals[signal]);
    } catch (err) {
      if (!(err instanceof TsrunError)) throw err;
    }
  };
  const forwarded = mode.detach ? [] : FORWARDED;
  const stopForwarding = () => forwarded.forEach((s) => process.off(s, forward));
  forwarded.forEach((s) => process.on(s, forward));
  let created: Created;
  try {
    created = await phase('create', () => createContainer(store, opts));
  } catch (err) {
    stopForwarding();
    throw err;
  }
  const { state, dir } = created;
  // A foreground run's terminal arrived during create (a console socket's went to its listener).
  const terminal = attachTerminal(mode.console);
  try {
    await phase('start', () => startContainer(store, dir, opts.warn));
  } catch (err) {
    terminal?.close();
    dir.release();
    await deleteContainer(store, opts.id, true, opts.warn);
    stopForwarding();
    throw err;
  }
  dir.release();
  if (mode.detach) return 0;
  target = state;

  const exit = await waitExit(state.pid);
  // The handlers stay until the delete is done: a signal now has nobody to go to, but with its
  // default action it would end tsrun halfway through the delete and leave the container behind.
  target = null;
  await terminal?.drained(TERMINAL_DRAIN_MS);
  terminal?.close();
  if (!mode.keep) await phase('delete', () => deleteContainer(store, opts.id, true, opts.warn));
  stopForwarding();
  return exit.signal !== null ? 128 + exit.signal : (exit.code ?? 0);
}
