/**
 * `run`: create and start; in the foreground, forward signals to the init, wait for it, delete
 * the container (unless --keep) and exit with its status (128+N when killed by signal N).
 */
import * as os from 'os';
import { ContainerError } from '../errors';
import { waitExit } from '../native';
import type { StateStore } from '../state/store';
import { createContainer, CreateOptions } from './create';
import { deleteContainer } from './delete';
import { signalInit } from './signal-init';
import { startContainer } from './start';

/** Signals a foreground `run` passes on to the container (those Node lets a program handle). */
const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT',
  'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGPIPE', 'SIGXCPU', 'SIGXFSZ',
];

export async function runContainer(
  store: StateStore,
  opts: CreateOptions,
  mode: { detach: boolean; keep: boolean },
): Promise<number> {
  const { state, dir } = createContainer(store, opts);
  try {
    startContainer(store, dir);
  } catch (err) {
    dir.release();
    deleteContainer(store, opts.id, true);
    throw err;
  }
  dir.release();
  if (mode.detach) return 0;

  const forward = (signal: NodeJS.Signals) => {
    try {
      signalInit(state, os.constants.signals[signal]);
    } catch (err) {
      if (!(err instanceof ContainerError)) throw err;
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  const exit = await waitExit(state.pid);
  for (const s of FORWARDED) process.off(s, forward);
  if (!mode.keep) deleteContainer(store, opts.id, true);
  return exit.signal !== null ? 128 + exit.signal : (exit.code ?? 0);
}
