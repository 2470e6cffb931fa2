/**
 * Cases on linux.cgroupsPath and linux.resources (config-linux.md), observed from outside through
 * /proc/<pid>/cgroup and the files of the container's cgroup v1 hierarchies.
 */
import * as fs from 'fs';
import { Case, CaseSkip, expect } from '../case';
import { ContainerState } from '../driver';

const PIDS_HIERARCHY = '/sys/fs/cgroup/pids';
const V1_ROOT = '/sys/fs/cgroup';

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
  resourceCase({
    id: 'linux.resources.memory',
    clause: 'config-linux.md § Memory',
    requirement: 'memory.limit, reservation and swap reach memory.limit_in_bytes, soft_limit_in_bytes and memsw.limit_in_bytes',
    resources: { memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 } },
    expected: [
      ['memory', 'memory.limit_in_bytes', String(64 << 20)],
      ['memory', 'memory.soft_limit_in_bytes', String(32 << 20)],
      ['memory', 'memory.memsw.limit_in_bytes', String(128 << 20)],
    ],
  }),
  resourceCase({
    id: 'linux.resources.cpu',
    clause: 'config-linux.md § CPU',
    requirement: 'cpu.shares, quota, period and cpus reach cpu.shares, cfs_quota_us, cfs_period_us and cpuset.cpus',
    resources: { cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0' } },
    expected: [
      ['cpu', 'cpu.shares', '512'],
      ['cpu', 'cpu.cfs_quota_us', '20000'],
      ['cpu', 'cpu.cfs_period_us', '100000'],
      ['cpuset', 'cpuset.cpus', '0'],
    ],
  }),
  resourceCase({
    id: 'linux.resources.pids',
    clause: 'config-linux.md § pids',
    requirement: 'pids.limit reaches pids.max',
    resources: { pids: { limit: 42 } },
    expected: [['pids', 'pids.max', '42']],
  }),
];

interface ResourceCaseSpec {
  id: string;
  clause: string;
  requirement: string;
  resources: Record<string, unknown>;
  /** [v1 controller, file, value read back from the container's cgroup]. */
  expected: [string, string, string][];
}

/** A case that creates a container with `resources` and reads the files back from the host. */
function resourceCase(spec: ResourceCaseSpec): Case {
  return {
    id: spec.id,
    clause: spec.clause,
    level: 'MUST',
    requirement: spec.requirement,
    async check(ctx) {
      for (const [controller] of spec.expected) {
        if (!fs.existsSync(`${V1_ROOT}/${controller}/cgroup.procs`)) throw new CaseSkip(`no cgroup v1 ${controller} hierarchy at ${V1_ROOT}/${controller}`);
      }
      const id = ctx.runtime.newId('res');
      const b = ctx.bundle(['sleep', '30'], (c) => {
        c.linux.resources = { ...c.linux.resources, ...spec.resources };
      });
      const r = ctx.runtime.create(id, b.dir);
      expect(r.code === 0, `create failed: ${r.stderr.trim().slice(0, 300)}`);
      const state = ctx.runtime.state(id) as ContainerState;
      const pid = state.pid;
      expect(typeof pid === 'number', `state has no pid: ${JSON.stringify(state)}`);
      for (const [controller, file, value] of spec.expected) {
        const dir = `${V1_ROOT}/${controller}${cgroupOf(pid, controller)}`;
        const got = fs.readFileSync(`${dir}/${file}`, 'utf8').trim();
        expect(got === value, `${dir}/${file} is ${got}, not ${value}`);
      }
      expect(ctx.runtime.cmd(['delete', '--force', id]).code === 0, 'delete --force failed');
    },
  };
}
