/**
 * More on config-linux.md § Cgroups Path: a relative cgroupsPath, whose base the runtime chooses,
 * must still lead to the same place every time it is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseSkip, expect } from '../case';
import { created } from './lifecycle';

const PIDS_HIERARCHY = '/sys/fs/cgroup/pids';
const CGROUP_ROOT = '/sys/fs/cgroup';

/** The pids-hierarchy cgroup of `pid`. */
function pidsCgroupOf(pid: number): string | undefined {
  const line = fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes('pids'));
  return line?.split(':').slice(2).join(':');
}

/** The directories of a process's cgroups, one per hierarchy, from /proc/<pid>/cgroup. */
function cgroupDirs(pid: number): string[] {
  return fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [, controllers, ...rest] = line.split(':');
      const names = controllers === '' ? ['unified'] : controllers.split(',').map((c) => c.replace(/^name=/, ''));
      return names.map((n) => path.join(CGROUP_ROOT, n, rest.join(':'))).filter((d) => fs.existsSync(path.dirname(d)));
    });
}

/**
 * Remove what is left of `dirs` (the container's cgroups, ending in `/relative`) and their parent:
 * delete removes the container's own cgroup, not the parent the relative path made it create.
 */
function removeCgroupTrees(dirs: string[]): void {
  for (const dir of dirs) {
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
    if (fs.existsSync(path.dirname(dir))) fs.rmdirSync(path.dirname(dir));
  }
}

export const cgroupPathCases: Case[] = [
  {
    id: 'linux.cgroups-path-relative-consistent',
    clause: 'config-linux.md § Cgroups Path',
    level: 'MUST',
    requirement: 'the same relative cgroupsPath, given to two containers one after the other, places both in the same cgroup, one ending in that path',
    async check(ctx) {
      if (!fs.existsSync(`${PIDS_HIERARCHY}/cgroup.procs`)) throw new CaseSkip(`no cgroup v1 pids hierarchy at ${PIDS_HIERARCHY}`);
      const relative = `${ctx.runtime.newId('cgroup')}/relative`;
      const placements: (string | undefined)[] = [];
      const dirs = new Set<string>();
      try {
        for (let i = 0; i < 2; i++) {
          const { id, state } = created(ctx, ['sleep', '30'], (c) => {
            c.linux.cgroupsPath = relative;
          });
          placements.push(pidsCgroupOf(state.pid!));
          cgroupDirs(state.pid!).filter((d) => d.endsWith(`/${relative}`)).forEach((d) => dirs.add(d));
          ctx.runtime.forceDelete(id);
        }
      } finally {
        removeCgroupTrees([...dirs]);
      }
      expect(placements[0] !== undefined && placements[0].endsWith(`/${relative}`), `the first container is in pids cgroup ${placements[0]}, which does not end in ${relative}`);
      expect(placements[1] === placements[0], `the second container is in ${placements[1]}, the first was in ${placements[0]}`);
    },
  },
];
