/** Looking at a recorded container on the host: its status now and its OCI state document. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCgroupManager } from '../cgroups';
import { isSameLiveProcess } from '../state/proc';
import { deriveStatus, Status } from '../state/status';
import type { StateStore, StoredState } from '../state/store';

export function observeStatus(store: StateStore, state: StoredState): Status {
  const initAlive = isSameLiveProcess(state.pid, state.initStartTime);
  return deriveStatus(state, {
    initAlive,
    fifoExists: fs.existsSync(path.join(store.dir(state.id), 'exec.fifo')),
    // Only a live container's cgroup is worth reading (a stopped one may be half removed).
    frozen: initAlive && state.cgroups !== null && loadCgroupManager(state.cgroups).isFrozen(),
  });
}

/** The state JSON as `runc state` prints it: the OCI state plus rootfs, created and owner. */
export interface StateOutput {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function stateOutput(state: StoredState, status: Status, owner = ''): StateOutput {
  const out: StateOutput = {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: status === 'stopped' ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner,
  };
  if (state.annotations && Object.keys(state.annotations).length > 0) out.annotations = state.annotations;
  return out;
}

/** The user owning a container's state directory, by name when /etc/passwd knows it (as `runc list`). */
export function ownerOf(dir: string): string {
  const uid = fs.statSync(dir).uid;
  if (uid === process.getuid?.()) return os.userInfo().username;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0] : `#${uid}`;
}
