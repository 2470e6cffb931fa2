/** `start`: release a created container's init through the exec fifo so that it execs the user process. */
import * as fs from 'fs';
import { ContainerError } from '../errors';
import { releaseInit } from '../native';
import type { ContainerDir, StateStore } from '../state/store';
import { observeStatus } from './observe';

export function startContainer(store: StateStore, dir: ContainerDir): void {
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
  releaseInit(dir.fifoPath, state.pid);
  fs.rmSync(dir.fifoPath, { force: true });
}
