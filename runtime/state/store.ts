/**
 * The state directory: <root>/<id>/ holds state.json (written atomically) and, between create and
 * start, exec.fifo. Commands that change a container hold an exclusive flock on its directory, so
 * concurrent commands on one id run one after the other; readers need no lock.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LinuxResources } from '../../spec/types';
import { flock } from '../native';
import type { InitNamespaces } from './own-processes';
import { TsrunError } from '../../common/errors';
import { phase } from '../trace';

export const DEFAULT_ROOT = '/run/tsrun';

/** What tsrun records about a container; the OCI state is derived from it (state/status.ts). */
export interface StoredState {
  ociVersion: string;
  id: string;
  /** Host pid of the container's init; 0 until it exists. */
  pid: number;
  /** The recorded phase; created/running/paused/stopped are told apart by looking (status.ts). */
  status: 'creating' | 'created';
  bundle: string;
  rootfs: string;
  /** RFC 3339 time of creation. */
  created: string;
  annotations?: Record<string, string>;
  /** /proc/<pid>/stat start time of the init, so that a recycled pid is never taken for it. */
  initStartTime: string;
  /** The init's pid and mount namespaces, by which kill --all and delete tell the container's processes (own-processes.ts). */
  initNamespaces?: InitNamespaces;
  /** The cgroup manager's own record (runtime/cgroups), so delete removes exactly what create made. */
  cgroups: unknown;
  /** linux.resources as applied now: the config's, with what `update` changed since. */
  resources?: LinuxResources;
  /**
   * A config without a mount namespace: the mounts init made beneath the rootfs in the caller's
   * mount namespace (`namespace`, as /proc/self/ns/mnt reads), which delete unmounts.
   */
  rootfsMounts?: { namespace: string; mounts: RecordedMount[] };
  /** Created with --no-new-keyring: processes exec'd in it keep their caller's session keyring too. */
  noNewKeyring?: boolean;
}

export interface RecordedMount {
  /** The mount id of /proc/self/mountinfo (not reused while the mount exists). */
  id: number;
  mountPoint: string;
}

/** Container ids as runc accepts them: letters, digits and _ + - . ; never "." or "..". */
const ID_PATTERN = /^[\w+.-]+$/;

export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new TsrunError('invalid container ID format');
  }
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** Make the directory of a new container and lock it; fails when the id is taken. */
  create(id: string): ContainerDir {
    checkId(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      // 0711 as runc: an init in a user namespace (not host root) must reach exec.fifo in it.
      fs.mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new TsrunError('container with given ID already exists');
      }
      throw err;
    }
    return ContainerDir.lock(id, this.dir(id));
  }

  /** Lock an existing container's directory (waiting for other commands); null when there is none. */
  open(id: string): ContainerDir | null {
    checkId(id);
    let dir: ContainerDir;
    try {
      dir = ContainerDir.lock(id, this.dir(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // The holder before us may have deleted it.
    if (!fs.existsSync(dir.statePath)) {
      dir.release();
      return null;
    }
    return dir;
  }

  /** Read a container's state without locking: state.json is replaced atomically. */
  read(id: string): StoredState | null {
    checkId(id);
    return readStateFile(path.join(this.dir(id), 'state.json'));
  }

  ids(): string[] {
    try {
      return fs
        .readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

function readStateFile(file: string): StoredState | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoredState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** A locked container directory. */
export class ContainerDir {
  private constructor(
    readonly id: string,
    readonly path: string,
    private fd: number,
  ) {}

  static lock(id: string, dir: string): ContainerDir {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    phase('lock', () => flock(fd, 'exclusive', true));
    return new ContainerDir(id, dir, fd);
  }

  get statePath(): string {
    return path.join(this.path, 'state.json');
  }

  get fifoPath(): string {
    return path.join(this.path, 'exec.fifo');
  }

  read(): StoredState {
    const state = readStateFile(this.statePath);
    if (!state) throw new TsrunError('container does not exist');
    return state;
  }

  write(state: StoredState): void {
    phase('state write', () => this.writeAtomically(state));
  }

  private writeAtomically(state: StoredState): void {
    const tmp = path.join(this.path, '.state.json.tmp');
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.statePath);
  }

  /** Remove the directory and everything in it, then drop the lock. */
  remove(): void {
    fs.rmSync(this.path, { recursive: true, force: true });
    this.release();
  }

  release(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
