/**
 * Cases on linux.cgroupsPath (config-linux.md), observed from outside through /proc/<pid>/cgroup
 * and the cgroup v1 pids hierarchy.
 */
import * as fs from 'fs';
import { Case, CaseSkip, expect } from '../case';
import { ContainerState } from '../driver';

const PIDS_HIERARCHY = '/sys/fs/cgroup/pids';

/** The path of `pid` in the cgroup v1 hierarchy of `controller`, from /proc/<pid>/cgroup. */
function cgroupOf(pid: number, controller: string): string | undefined {
  const line = fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line?.split(':').slice(2).join(':');
}

export const cgroupCases: Case[] = [
  {
    id: 'linux.cgroups-path',
    clause: 'config-linux.md § Cgroups Path',
    level: 'MUST',
    requirement: 'an absolute cgroupsPath places the container process at that path from the hierarchy root (checked in the v1 pids hierarchy), and delete removes the cgroup it made',
    async check(ctx) {
      if (!fs.existsSync(`${PIDS_HIERARCHY}/cgroup.procs`)) throw new CaseSkip(`no cgroup v1 pids hierarchy at ${PIDS_HIERARCHY}`);
      const id = ctx.runtime.newId('cg');
      const cgroupsPath = `/${id}`;
      const b = ctx.bundle(['sleep', '30'], (c) => {
        c.linux.cgroupsPath = cgroupsPath;
      });
      const r = ctx.runtime.create(id, b.dir);
      expect(r.code === 0, `create failed: ${r.stderr.trim().slice(0, 300)}`);
      const state = ctx.runtime.state(id) as ContainerState;
      expect(typeof state.pid === 'number', `state has no pid: ${JSON.stringify(state)}`);
      const placed = cgroupOf(state.pid, 'pids');
      expect(placed === cgroupsPath, `the process is in pids cgroup ${placed}, not ${cgroupsPath}`);
      expect(fs.existsSync(`${PIDS_HIERARCHY}${cgroupsPath}`), `${PIDS_HIERARCHY}${cgroupsPath} does not exist`);
      expect(ctx.runtime.cmd(['kill', id, 'KILL']).code === 0, 'kill failed');
      await ctx.runtime.waitForStatus(id, 'stopped');
      const d = ctx.runtime.cmd(['delete', id]);
      expect(d.code === 0, `delete failed: ${d.stderr.trim().slice(0, 300)}`);
      expect(!fs.existsSync(`${PIDS_HIERARCHY}${cgroupsPath}`), `${PIDS_HIERARCHY}${cgroupsPath} is left after delete`);
    },
  },
];
