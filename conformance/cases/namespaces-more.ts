/**
 * More cases on config-linux.md § Namespaces and § User namespace mappings: what a new pid or
 * cgroup namespace looks like from inside, duplicate entries, a rootfs left unchowned, and the
 * mount and uts namespaces left out or joined by path.
 *
 * A runtime run without a mount namespace of the container's own mounts in its caller's: those
 * cases run it inside a throwaway mount namespace (`unshare -m --propagation private`), and a
 * namespace to join is held by a process the case starts and kills.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseContext, expect } from '../case';
import type { Config } from '../../test/helpers/bundle';
import { parseProbeOutput, PROBE_IN_CONTAINER, ProbeReport } from '../probe';
import { expectCreateFails } from './util';

/** The mount namespace left out, and the paths only a namespace of the container's own can hide (runc refuses them without one). */
function withoutMountNamespace(c: Config): void {
  c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'mount');
  c.linux.maskedPaths = [];
  c.linux.readonlyPaths = [];
}

/**
 * `run` of a probe bundle inside a throwaway mount namespace; the report, that namespace, and
 * the mounts left at or beneath the bundle's rootfs in it once run has returned.
 */
function runInThrowawayMountNamespace(ctx: CaseContext, edit: (c: Config) => void): { report: ProbeReport; namespace: string; left: number } {
  const b = ctx.bundle([PROBE_IN_CONTAINER], edit);
  const id = ctx.runtime.newId('nomnt');
  const script = `echo namespace=$(readlink /proc/self/ns/mnt)
    "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$ID" || echo run-failed=$?
    echo left=$(awk '{print $5}' /proc/self/mountinfo | grep -c -e "^$ROOTFS\$" -e "^$ROOTFS/")
    "$RUNTIME" --root "$ROOT" delete --force "$ID" >/dev/null 2>&1`;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, RUNTIME: ctx.runtime.binary, ROOT: ctx.runtime.root, BUNDLE: b.dir, ID: id, ROOTFS: b.rootfs },
  });
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(r.stdout)?.[1];
  expect(field('run-failed') === undefined, `run without a mount namespace failed: ${r.stderr.trim().slice(0, 400)}`);
  return { report: parseProbeOutput(r.stdout), namespace: field('namespace') ?? '', left: Number(field('left')) };
}

/** A process in new namespaces (`unshare` flags) after `setup` ran there; kill() ends it and them. */
async function namespaceHolder(flags: string[], setup: string): Promise<{ pid: number; kill(): void }> {
  const child = spawn('unshare', [...flags, 'sh', '-c', `${setup} && echo ready && exec sleep 60`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve(true));
    child.on('exit', () => resolve(false));
  });
  expect(ready, `the namespace holder (unshare ${flags.join(' ')}) failed: ${stderr.trim()}`);
  return { pid: child.pid as number, kill: () => child.kill('SIGKILL') };
}

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
  {
    id: 'linux.namespaces-mount-inherited',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: "with no mount namespace in the list, the process is in the runtime's mount namespace",
    async check(ctx) {
      const { report, namespace } = runInThrowawayMountNamespace(ctx, withoutMountNamespace);
      expect(report.namespaces.mnt === namespace, `the process is in ${report.namespaces.mnt}, the runtime in ${namespace}`);
    },
  },
  {
    id: 'delete.mounts-without-mount-namespace',
    clause: 'runtime.md § Delete',
    level: 'MUST',
    requirement: "delete removes what create made: with no mount namespace, no mount is left beneath the rootfs in the runtime's mount namespace",
    async check(ctx) {
      const { left } = runInThrowawayMountNamespace(ctx, withoutMountNamespace);
      expect(left === 0, `${left} mounts are left at or beneath the rootfs after run (create, start, delete)`);
    },
  },
  {
    id: 'linux.namespaces-join-mount',
    clause: 'config-linux.md § Namespaces',
    level: 'MUST',
    requirement: 'a mount namespace with a path is joined: the process is in it and sees its mounts',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER, '--read', '/mnt/marker'], withoutMountNamespace);
      const holder = await namespaceHolder(
        ['-m', '--propagation', 'private'],
        `mkdir -p ${b.rootfs}/mnt && mount -t tmpfs conformance-marker ${b.rootfs}/mnt && echo joined > ${b.rootfs}/mnt/marker`,
      );
      try {
        b.config.linux.namespaces.push({ type: 'mount', path: `/proc/${holder.pid}/ns/mnt` });
        b.save();
        const report = await ctx.runProbe(b);
        const theirs = fs.readlinkSync(`/proc/${holder.pid}/ns/mnt`);
        expect(report.namespaces.mnt === theirs, `the process is in ${report.namespaces.mnt}, the holder in ${theirs}`);
        expect(report.files['/mnt/marker'] === 'joined', `/mnt/marker, mounted in the joined namespace, reads ${JSON.stringify(report.files['/mnt/marker'])}`);
      } finally {
        holder.kill();
      }
    },
  },
  {
    id: 'hostname-joined-uts',
    clause: 'config.md § Hostname',
    level: 'MUST',
    requirement: 'with a uts namespace joined by path, hostname is set in it: the process and the namespace show it',
    async check(ctx) {
      const holder = await namespaceHolder(['-u'], 'hostname conformance-before');
      try {
        const report = await ctx.probe((c) => {
          c.hostname = 'conformance-joined';
          c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'uts' ? { type: 'uts', path: `/proc/${holder.pid}/ns/uts` } : n));
        });
        expect(report.hostname === 'conformance-joined', `the process sees hostname ${report.hostname}`);
        const seen = spawnSync('nsenter', [`--uts=/proc/${holder.pid}/ns/uts`, 'hostname'], { encoding: 'utf8' }).stdout.trim();
        expect(seen === 'conformance-joined', `the joined uts namespace has hostname ${seen}`);
      } finally {
        holder.kill();
      }
    },
  },
];
