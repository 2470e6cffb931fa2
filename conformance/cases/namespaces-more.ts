/**
 * More cases on config-linux.md § Namespaces and § User namespace mappings: what a new pid or
 * cgroup namespace looks like from inside, duplicate entries, and a rootfs left unchowned.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, expect } from '../case';
import { PROBE_IN_CONTAINER } from '../probe';
import { expectCreateFails } from './util';

export const namespaceMoreCases: Case[] = [
  {
    id: 'linux.pid-namespace-init',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'in a new pid namespace the container process is pid 1',
    async check(ctx) {
      const report = await ctx.probe();
      expect(report.pid === 1, `the process is pid ${report.pid}`);
    },
  },
  {
    id: 'linux.cgroup-namespace-root',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'in a new cgroup namespace the process sees its own cgroups as the root ("/") of every hierarchy',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        if (!c.linux.namespaces.some((n) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
      });
      const lines = (report.cgroup ?? '').split('\n').filter(Boolean);
      const notRoot = lines.filter((l) => l.split(':').slice(2).join(':') !== '/');
      expect(lines.length > 0 && notRoot.length === 0, `/proc/self/cgroup shows ${JSON.stringify(notRoot.length ? notRoot : report.cgroup)}`);
    },
  },
  {
    id: 'linux.namespaces-duplicate',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'a namespace type listed twice is an error',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.linux.namespaces.push({ type: 'uts' });
      });
      expectCreateFails(ctx, bundle.dir, 'the uts namespace listed twice');
    },
  },
  {
    id: 'linux.user-namespace-no-chown',
    clause: 'config-linux.md § User namespace mappings',
    level: 'SHOULD',
    requirement: 'the runtime does not change the ownership of the root filesystem to realise the uid/gid mappings',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER], (c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.mounts = c.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      });
      const owners = () => ['', 'bin/busybox', 'etc/passwd', 'tmp'].map((p) => `${p || '/'}=${fs.lstatSync(path.join(b.rootfs, p)).uid}:${fs.lstatSync(path.join(b.rootfs, p)).gid}`).join(' ');
      const before = owners();
      const report = await ctx.runProbe(b);
      expect(report.uidMap !== null && report.uidMap.trim().startsWith('0'), `the probe did not run in the user namespace: uid_map ${JSON.stringify(report.uidMap)}`);
      const after = owners();
      expect(after === before, `rootfs ownership changed from ${before} to ${after}`);
    },
  },
];
