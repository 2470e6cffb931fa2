/**
 * More cases on the container's filesystem (config.md § Root and § Mounts, config-linux.md
 * § Rootfs Mount Propagation and § Default Devices): bind flags, recursion, propagation, an
 * absolute root path and usable default devices, observed from inside by the probe.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseContext, expect } from '../case';
import { PROBE_IN_CONTAINER, MountInfo, ProbeReport } from '../probe';
import { hasOption, mountAt } from './filesystem';

/** A host directory whose submounts make bind and rbind differ: the v1/hybrid cgroup tmpfs, or /sys. */
function hostTreeWithSubmounts(): { source: string; submount: string } {
  const mountPoints = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter(Boolean);
  const source = mountPoints.includes('/sys/fs/cgroup') && mountPoints.some((m) => m.startsWith('/sys/fs/cgroup/')) ? '/sys/fs/cgroup' : '/sys';
  const sub = mountPoints.find((m) => m.startsWith(`${source}/`) && !m.slice(source.length + 1).includes('/'));
  return { source, submount: sub ? sub.slice(source.length) : '' };
}

/** Probe a bundle whose /conf-tree is a mount of the host tree with submounts, with `options`. */
async function probeTree(ctx: CaseContext, options: string[]): Promise<{ report: ProbeReport; submount: string }> {
  const { source, submount } = hostTreeWithSubmounts();
  expect(submount !== '', `no mount below ${source} on this host to tell bind from rbind`);
  const report = await ctx.probe((c) => {
    c.mounts.push({ destination: '/conf-tree', type: 'bind', source, options });
  });
  return { report, submount };
}

/** Probe a bundle with a rw bind mount of a bundle directory at /conf-data with extra `options`. */
async function probeBind(ctx: CaseContext, options: string[], edit?: Parameters<CaseContext['bundle']>[1]): Promise<MountInfo | undefined> {
  const b = ctx.bundle([PROBE_IN_CONTAINER], edit);
  const source = path.join(b.dir, 'data');
  fs.mkdirSync(source);
  b.config.mounts.push({ destination: '/conf-data', type: 'bind', source, options: ['rbind', 'rw', ...options] });
  b.save();
  return mountAt(await ctx.runProbe(b), '/conf-data');
}

export const mountMoreCases: Case[] = [
  {
    id: 'mounts.bind-flags',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'nosuid, nodev and noexec on a bind mount are flags of that mount inside the container',
    async check(ctx) {
      const m = await probeBind(ctx, ['nosuid', 'nodev', 'noexec']);
      expect(m !== undefined, 'no mount at /conf-data');
      const missing = ['nosuid', 'nodev', 'noexec'].filter((o) => !hasOption(m.options, o));
      expect(missing.length === 0, `/conf-data lacks ${missing.join(',')}: options ${m.options}`);
    },
  },
  {
    id: 'mounts.bind-not-recursive',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'a bind mount (bind, not rbind) of a directory brings only that mount, not the mounts below it',
    async check(ctx) {
      const { report, submount } = await probeTree(ctx, ['bind', 'ro']);
      expect(mountAt(report, '/conf-tree') !== undefined, 'no mount at /conf-tree');
      expect(mountAt(report, `/conf-tree${submount}`) === undefined, `/conf-tree${submount} is a mount point too: the bind was recursive`);
    },
  },
  {
    id: 'mounts.rbind-recursive',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'an rbind mount brings the mounts below its source too',
    async check(ctx) {
      const { report, submount } = await probeTree(ctx, ['rbind', 'ro']);
      expect(mountAt(report, `/conf-tree${submount}`) !== undefined, `/conf-tree${submount} is not a mount point: the bind was not recursive`);
    },
  },
  {
    id: 'mounts.recursive-readonly',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'rro makes an rbind mount read-only all the way down, its submounts included',
    async check(ctx) {
      const { report, submount } = await probeTree(ctx, ['rbind', 'rro']);
      const top = mountAt(report, '/conf-tree');
      const sub = mountAt(report, `/conf-tree${submount}`);
      expect(top !== undefined && hasOption(top.options, 'ro'), `/conf-tree: ${JSON.stringify(top)}`);
      expect(sub !== undefined && hasOption(sub.options, 'ro'), `/conf-tree${submount}: ${JSON.stringify(sub)}`);
    },
  },
  {
    id: 'mounts.propagation-shared',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'the rshared option makes the mount a member of a peer group (shared:N in mountinfo)',
    async check(ctx) {
      const m = await probeBind(ctx, ['rshared']);
      expect(m !== undefined && /\bshared:\d+/.test(m.optional), `/conf-data propagation is ${JSON.stringify(m?.optional)}`);
    },
  },
  {
    id: 'mounts.propagation-private',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'the rprivate option leaves the mount with no peer group and no master',
    async check(ctx) {
      const m = await probeBind(ctx, ['rprivate']);
      expect(m !== undefined && !/\b(shared|master):/.test(m.optional), `/conf-data propagation is ${JSON.stringify(m?.optional)}`);
    },
  },
  {
    id: 'linux.rootfs-propagation',
    clause: 'config-linux.md § Rootfs Mount Propagation',
    level: 'MUST',
    requirement: 'rootfsPropagation "shared" makes the container\'s / a shared mount; "private" leaves it in no peer group',
    async check(ctx) {
      const shared = await ctx.probe((c) => {
        c.linux.rootfsPropagation = 'shared';
      });
      const sharedRoot = mountAt(shared, '/');
      expect(sharedRoot !== undefined && /\bshared:\d+/.test(sharedRoot.optional), `with "shared", / propagation is ${JSON.stringify(sharedRoot?.optional)}`);
      const priv = await ctx.probe((c) => {
        c.linux.rootfsPropagation = 'private';
      });
      const privRoot = mountAt(priv, '/');
      expect(privRoot !== undefined && !/\b(shared|master):/.test(privRoot.optional), `with "private", / propagation is ${JSON.stringify(privRoot?.optional)}`);
    },
  },
  {
    id: 'mounts.idmap',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'an idmap bind mount in a container with a user namespace shows files owned by host root as owned by the container\'s root',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER, '--path', '/conf-data/file'], (c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts = c.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      });
      const source = path.join(b.dir, 'data');
      fs.mkdirSync(source);
      fs.writeFileSync(path.join(source, 'file'), 'x');
      // Root of the user namespace is no owner of the rootfs, so the mount point must exist.
      fs.mkdirSync(path.join(b.rootfs, 'conf-data'));
      b.config.mounts.push({
        destination: '/conf-data',
        type: 'bind',
        source,
        options: ['rbind', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      });
      b.save();
      const f = (await ctx.runProbe(b)).paths['/conf-data/file'];
      expect(f?.uid === 0 && f.gid === 0, `/conf-data/file (host 0:0) is owned by ${f?.uid}:${f?.gid} inside, want 0:0`);
    },
  },
  {
    id: 'root.path-absolute',
    clause: 'config.md § Root',
    level: 'MUST',
    requirement: 'root.path may be an absolute path to the root filesystem, not only one relative to the bundle',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER]);
      b.config.root.path = b.rootfs;
      b.save();
      const report = await ctx.runProbe(b);
      expect(report.args[0] === PROBE_IN_CONTAINER, `the probe did not run as expected: ${JSON.stringify(report.args)}`);
    },
  },
  {
    id: 'linux.default-devices-usable',
    clause: 'config-linux.md § Default Devices',
    level: 'MUST',
    requirement: 'a non-root process can open /dev/null, zero, full, random and urandom for reading and for writing',
    async check(ctx) {
      const devices = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];
      const report = await ctx.probe((c) => {
        c.process.user = { uid: 1000, gid: 1000 };
      }, devices.flatMap((d) => ['--path', d]));
      const wrong = devices.filter((d) => report.paths[d]?.readError !== undefined || report.paths[d]?.writeOpenError !== null);
      expect(wrong.length === 0, wrong.map((d) => `${d}: ${JSON.stringify(report.paths[d])}`).join('; '));
    },
  },
];
