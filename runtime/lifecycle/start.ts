/**
 * `start`: release a created container's init through the exec fifo so that it runs the
 * startContainer hooks and execs the user process; then the poststart hooks, whose failures
 * are warnings (runtime.md § Lifecycle).
 */
import * as fs from 'fs';
import { ContainerError } from '../errors';
import { readHooksRecord } from '../hooks/record';
import { runHooksWarning } from '../hooks/run';
import { stateDocument } from '../hooks/state';
import { releaseInit } from '../native';
import type { ContainerDir, StateStore } from '../state/store';
import { observeStatus } from './observe';

export function startContainer(store: StateStore, dir: ContainerDir, warn: (message: string) => void): void {
  const state = dir.read();
  const status = observeStatus(store, state);
  switch (status) {
    case 'created':
      break;
    case 'stopped':
      throw new ContainerError('cannot start a container that has stopped');
    case 'running':
      throw new ContainerError('cannot start an already running container');
    default:
      throw new ContainerError(`cannot start a container in the ${status} state`);
  }
  try {
    releaseInit(dir.fifoPath, state.pid);
  } catch (err) {
    // Init leaves without the start byte when a startContainer hook fails: it said why on its stderr.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ESRCH') {
      throw new ContainerError(`container init (pid ${state.pid}) exited before running the process: a startContainer hook failed or the process could not be run (see the container's stderr)`);
    }
    throw err;
  }
  fs.rmSync(dir.fifoPath, { force: true });
  const { poststart } = readHooksRecord(dir.path);
  if (poststart.length) runHooksWarning('poststart', poststart, stateDocument({ ...state, status: 'running' }, state.pid), warn);
}
