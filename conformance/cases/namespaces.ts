/**
 * Cases on config-linux.md namespaces and config.md hostname/domainname, comparing the probe's
 * /proc/self/ns links with the runner's own and with another container's.
 */
import { Case, CaseContext, expect } from '../case';
import { ContainerState } from '../driver';
import * as fs from 'fs';

/** Spec namespace type -> name under /proc/<pid>/ns. */
const PROC_NAME: Record<string, string> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', user: 'user' };

/** A created container running `sleep`, whose namespaces other containers can join. */
function holder(ctx: CaseContext): { pid: number } {
  const b = ctx.bundle(['sleep', '30']);
  const id = ctx.runtime.newId('holder');
  const r = ctx.runtime.create(id, b.dir);
  expect(r.code === 0, `create of the namespace holder failed: ${r.stderr.trim().slice(0, 300)}`);
  const s = ctx.runtime.state(id) as ContainerState;
  expect(typeof s.pid === 'number', `the holder's state has no pid: ${JSON.stringify(s)}`);
  return { pid: s.pid };
}

export const namespaceCases: Case[] = [
  {
    id: 'linux.namespaces-new',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'each listed namespace without a path is a new one, not the caller\'s',
    async check(ctx) {
      const report = await ctx.probe();
      const shared = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'].filter((t) => report.namespaces[PROC_NAME[t]] === ctx.hostNamespaces[PROC_NAME[t]]);
      expect(shared.length === 0, `still the caller's: ${shared.join(', ')}`);
    },
  },
  {
    id: 'linux.namespaces-inherited',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'a namespace type left out of the list is the caller\'s (network and ipc left out here)',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network' && n.type !== 'ipc');
        c.mounts = c.mounts.filter((m) => m.destination !== '/dev/mqueue' && m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
      });
      expect(report.namespaces.net === ctx.hostNamespaces.net, `network is ${report.namespaces.net}, the caller's is ${ctx.hostNamespaces.net}`);
      expect(report.namespaces.ipc === ctx.hostNamespaces.ipc, `ipc is ${report.namespaces.ipc}, the caller's is ${ctx.hostNamespaces.ipc}`);
    },
  },
  {
    id: 'linux.namespaces-join-path',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'a namespace with a path is joined: the process is in the same uts, ipc and network namespaces as the holder of that path',
    async check(ctx) {
      const { pid } = holder(ctx);
      const report = await ctx.probe((c) => {
        delete (c as { hostname?: string }).hostname;
        c.linux.namespaces = c.linux.namespaces.map((n) =>
          ['uts', 'ipc', 'network'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${PROC_NAME[n.type]}` } : n,
        );
      });
      for (const t of ['uts', 'ipc', 'net']) {
        const theirs = fs.readlinkSync(`/proc/${pid}/ns/${t}`);
        expect(report.namespaces[t] === theirs, `${t} is ${report.namespaces[t]}, the holder's is ${theirs}`);
      }
    },
  },
  {
    id: 'linux.namespaces-path-wrong-type',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'a namespace path that is a namespace of another type is an error',
    async check(ctx) {
      const { pid } = holder(ctx);
      const b = ctx.bundle(['true'], (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/uts` } : n));
      });
      const r = ctx.runtime.create(ctx.runtime.newId('wrongns'), b.dir);
      expect(r.code !== 0, 'create with a uts namespace path given as the network namespace succeeded');
    },
  },
  {
    id: 'linux.user-namespace-maps',
    clause: 'config-linux.md § User namespace mappings',
    level: 'MUST',
    requirement: 'with a new user namespace, the uid and gid maps are those of uidMappings and gidMappings',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        // cgroup v1 hierarchies cannot be mounted from a user namespace.
        c.mounts = c.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      });
      const normal = (map: string | null) => (map ?? '').trim().split(/\s+/).join(' ');
      expect(normal(report.uidMap) === '0 100000 65536', `uid_map is ${JSON.stringify(report.uidMap)}`);
      expect(normal(report.gidMap) === '0 200000 65536', `gid_map is ${JSON.stringify(report.gidMap)}`);
      expect(report.namespaces.user !== ctx.hostNamespaces.user, 'the user namespace is the caller\'s');
      expect(report.uid === 0, `uid inside is ${report.uid}`);
    },
  },
  {
    id: 'hostname',
    clause: 'config.md § Hostname',
    level: 'MUST',
    requirement: 'the process sees hostname as its host name',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.hostname = 'conformance-host';
      });
      expect(report.hostname === 'conformance-host', `hostname is ${report.hostname}`);
    },
  },
  {
    id: 'domainname',
    clause: 'config.md § Domainname',
    level: 'MUST',
    requirement: 'the process sees domainname as its NIS domain name',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.domainname = 'conformance.example';
      });
      expect(report.domainname === 'conformance.example', `domainname is ${report.domainname}`);
    },
  },
];
