/**
 * Hand-written init plans for the executor's tests (no plan builder involved), and the
 * bookkeeping that makes sure a test leaves no process behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { InitPlan, InitStep, MountStep, SeccompStep } from '../../runtime/plan/types';
import {
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWUTS,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_REC,
} from '../../runtime/plan/linux';
import { CREATE_MODES } from '../../runtime/plan/rootfs';
import { pidfdOpen, pidfdSendSignal, waitExit } from '../../runtime/native/index';

export const CONTAINER_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
export const SIGKILL = 9;

export function mountStep(fields: Partial<MountStep> & Pick<MountStep, 'target'>): MountStep {
  return { op: 'mount', source: null, inRoot: false, fstype: null, flags: 0, data: null, create: 'none', ignoreMissing: false, ...fields };
}

/** Private propagation on "/" (before any other mount), the rootfs bound on itself and opened. */
export function enterRootfs(rootfs: string): InitStep[] {
  return [
    mountStep({ target: '/', flags: MS_REC | MS_PRIVATE }),
    mountStep({ source: rootfs, target: rootfs, flags: MS_BIND | MS_REC }),
    { op: 'openRoot', path: rootfs },
  ];
}

export const mountProcInRoot: MountStep = mountStep({
  source: 'proc',
  target: '/proc',
  inRoot: true,
  fstype: 'proc',
  flags: MS_NOSUID | MS_NODEV | MS_NOEXEC,
  create: 'dir',
});

/** A seccomp filter denying `denied` with EACCES, on x86-64 and the two architectures docker adds. */
export function denyingFilter(...denied: string[]): SeccompStep {
  const SCMP_ACT_ALLOW = 0x7fff0000;
  const SCMP_ACT_ERRNO_EACCES = 0x00050000 | 13;
  const SCMP_ARCH_X86 = 0x40000003;
  const SCMP_ARCH_X32 = 0x4000003e;
  return {
    op: 'seccomp',
    defaultAction: SCMP_ACT_ALLOW,
    architectures: [SCMP_ARCH_X86, SCMP_ARCH_X32],
    flags: 0,
    rules: denied.map((syscall) => ({ syscall, action: SCMP_ACT_ERRNO_EACCES, conditions: [] })),
    unknownSyscalls: 'skip',
  };
}

export interface ContainerPlanOptions {
  /** Init steps after the rootfs is open and proc mounted, before the root change. */
  beforePivot?: InitStep[];
  /** Init steps after the root change. */
  afterPivot?: InitStep[];
  cloneFlags?: number;
  /** How init enters the rootfs (default pivotRoot). */
  rootChange?: 'pivotRoot' | 'moveRoot';
  exec?: Partial<InitPlan['exec']>;
}

/** A container running `sh -c script` in new mount/pid/uts/ipc/net namespaces. */
export function containerPlan(rootfs: string, script: string, opts: ContainerPlanOptions = {}): InitPlan {
  return {
    stage1: [],
    cloneFlags: opts.cloneFlags ?? CONTAINER_NAMESPACES,
    parent: [],
    init: [
      ...enterRootfs(rootfs),
      mountProcInRoot,
      ...(opts.beforePivot ?? []),
      { op: opts.rootChange ?? 'pivotRoot' },
      ...(opts.afterPivot ?? []),
    ],
    createModes: CREATE_MODES,
    exec: {
      args: ['/bin/sh', '-c', script],
      env: ['PATH=/bin:/sbin:/usr/bin', 'HOME=/root'],
      searchPath: '/bin:/sbin:/usr/bin',
      preserveFds: 0,
      fifo: null,
      exitSignals: [],
      ...opts.exec,
    },
  };
}

/** Pids of the processes a test started and has not reaped yet. */
export class Started {
  private readonly pids = new Set<number>();

  add(pid: number): number {
    this.pids.add(pid);
    return pid;
  }

  /** Reap `pid` (it is a child of this process: CLONE_PARENT). */
  async wait(pid: number) {
    const status = await waitExit(pid);
    this.pids.delete(pid);
    return status;
  }

  /** SIGKILL and reap whatever is left. */
  async killAll(): Promise<void> {
    for (const pid of [...this.pids]) {
      const fd = pidfdOpen(pid);
      try {
        pidfdSendSignal(fd, SIGKILL);
      } finally {
        fs.closeSync(fd);
      }
      await this.wait(pid);
    }
  }
}

/** This process's children right now (all threads'), from /proc/self/task/<tid>/children. */
export function childPids(): number[] {
  const taskDir = '/proc/self/task';
  return fs
    .readdirSync(taskDir)
    .flatMap((tid) => fs.readFileSync(path.join(taskDir, tid, 'children'), 'utf8').split(' '))
    .filter((s) => s.trim() !== '')
    .map(Number);
}
