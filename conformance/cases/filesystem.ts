/**
 * Cases on the container's filesystem (config.md root and mounts, config-linux.md devices, masked
 * and read-only paths), observed from inside by the probe.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Config } from '../../test/helpers/bundle';
import { Case, CaseContext, expect } from '../case';
import { PROBE_IN_CONTAINER, ProbeReport } from '../probe';

/** A host directory inside the bundle holding `files` (name -> content), for bind mounts. */
function hostData(bundleDir: string, files: Record<string, string>): string {
  const dir = path.join(bundleDir, 'data');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** Probe a bundle whose /conf-data is a bind mount (rw unless `options` say otherwise) of `files`. */
async function probeWithData(
  ctx: CaseContext,
  files: Record<string, string>,
  probePaths: string[],
  edit: (c: Config) => void = () => undefined,
  options = ['rbind', 'rw'],
): Promise<ProbeReport> {
  const b = ctx.bundle([PROBE_IN_CONTAINER, ...probePaths.flatMap((p) => ['--path', p])]);
  const source = hostData(b.dir, files);
  b.config.mounts.push({ destination: '/conf-data', type: 'bind', source, options });
  edit(b.config);
  b.save();
  return ctx.runProbe(b);
}

export function mountAt(report: ProbeReport, mountPoint: string) {
  return report.mounts.filter((m) => m.mountPoint === mountPoint).pop();
}

export function hasOption(options: string, option: string): boolean {
  return options.split(',').includes(option);
}

export const filesystemCases: Case[] = [
  {
    id: 'root.readonly',
    clause: 'config.md § Root',
    level: 'MUST',
    requirement: 'with root.readonly true the root filesystem cannot be written (EROFS); with false it can',
    async check(ctx) {
      const ro = await ctx.probe((c) => {
        c.root.readonly = true;
      });
      expect(ro.rootWriteError === 'EROFS', `creating /x with root.readonly true gave ${ro.rootWriteError ?? 'success'}`);
      const rw = await ctx.probe((c) => {
        c.root.readonly = false;
      });
      expect(rw.rootWriteError === null, `creating /x with root.readonly false gave ${rw.rootWriteError}`);
    },
  },
  {
    id: 'mounts.order',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'mounts are made in the listed order: a bind listed after a tmpfs, inside it, is visible on top of it',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER, '--path', '/conf/sub/marker']);
      const source = hostData(b.dir, { marker: 'here' });
      b.config.mounts.push({ destination: '/conf', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      b.config.mounts.push({ destination: '/conf/sub', type: 'bind', source, options: ['rbind', 'ro'] });
      b.save();
      const report = await ctx.runProbe(b);
      const points = report.mounts.map((m) => m.mountPoint);
      const tmpfs = points.lastIndexOf('/conf');
      const bind = points.lastIndexOf('/conf/sub');
      expect(tmpfs >= 0 && bind > tmpfs, `mount table order: /conf at ${tmpfs}, /conf/sub at ${bind}`);
      expect(report.paths['/conf/sub/marker']?.bytesRead === 4, `/conf/sub/marker: ${JSON.stringify(report.paths['/conf/sub/marker'])}`);
    },
  },
  {
    id: 'mounts.options',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'mount options are applied: a tmpfs with nosuid,nodev,noexec,size=1m,mode=750 has them',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.mounts.push({ destination: '/conf', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=750'] });
      }, ['--path', '/conf']);
      const m = mountAt(report, '/conf');
      expect(m !== undefined && m.fsType === 'tmpfs', `no tmpfs at /conf: ${JSON.stringify(m)}`);
      const missing = ['nosuid', 'nodev', 'noexec'].filter((o) => !hasOption(m.options, o));
      expect(missing.length === 0, `/conf lacks ${missing.join(',')}: options ${m.options}`);
      expect(hasOption(m.superOptions, 'size=1024k'), `/conf size is not 1m: ${m.superOptions}`);
      expect(hasOption(m.superOptions, 'mode=750'), `/conf mode is not 750: ${m.superOptions}`);
    },
  },
  {
    id: 'mounts.bind-ro',
    clause: 'config.md § Mounts',
    level: 'MUST',
    requirement: 'a bind mount with the ro option shows the host files and refuses writes (EROFS)',
    async check(ctx) {
      const report = await probeWithData(ctx, { file: 'data' }, ['/conf-data/file'], undefined, ['rbind', 'ro']);
      const f = report.paths['/conf-data/file'];
      expect(f?.bytesRead === 4, `/conf-data/file read: ${JSON.stringify(f)}`);
      expect(f.writeOpenError === 'EROFS', `opening /conf-data/file for writing gave ${f.writeOpenError ?? 'success'}`);
    },
  },
  {
    id: 'linux.masked-paths',
    clause: 'config-linux.md § Masked Paths',
    level: 'MUST',
    requirement: 'a masked file reads as empty or cannot be opened; a masked directory shows no entries',
    async check(ctx) {
      const report = await probeWithData(
        ctx,
        { secret: 'secret', 'dir/inner': 'inner', visible: 'visible' },
        ['/conf-data/secret', '/conf-data/dir', '/conf-data/visible'],
        (c) => {
          c.linux.maskedPaths = ['/conf-data/secret', '/conf-data/dir'];
        },
      );
      const { '/conf-data/secret': secret, '/conf-data/dir': dir, '/conf-data/visible': visible } = report.paths;
      expect(visible?.bytesRead === 7, `the unmasked control file is unreadable: ${JSON.stringify(visible)}`);
      expect(secret?.bytesRead === 0 || secret?.readError !== undefined || secret?.error !== undefined, `masked file: ${JSON.stringify(secret)}`);
      expect(dir?.entries === 0 || dir?.readError !== undefined || dir?.error !== undefined, `masked directory: ${JSON.stringify(dir)}`);
    },
  },
  {
    id: 'linux.readonly-paths',
    clause: 'config-linux.md § Readonly Paths',
    level: 'MUST',
    requirement: 'files under a readonlyPaths entry refuse writes (EROFS) while the rest of the same mount stays writable',
    async check(ctx) {
      const report = await probeWithData(ctx, { 'ro/file': 'x', rwfile: 'x' }, ['/conf-data/ro/file', '/conf-data/rwfile'], (c) => {
        c.linux.readonlyPaths = ['/conf-data/ro'];
      });
      const { '/conf-data/ro/file': ro, '/conf-data/rwfile': rw } = report.paths;
      expect(rw?.writeOpenError === null, `the control file outside readonlyPaths: ${JSON.stringify(rw)}`);
      expect(ro?.writeOpenError === 'EROFS', `opening /conf-data/ro/file for writing gave ${ro?.writeOpenError ?? JSON.stringify(ro)}`);
    },
  },
  {
    id: 'linux.default-devices',
    clause: 'config-linux.md § Default Devices',
    level: 'MUST',
    requirement: '/dev/null, zero, full, random, urandom and tty are the right character devices and /dev/ptmx leads to the pts multiplexer',
    async check(ctx) {
      const report = await ctx.probe();
      const want: Record<string, [number, number]> = {
        '/dev/null': [1, 3],
        '/dev/zero': [1, 5],
        '/dev/full': [1, 7],
        '/dev/random': [1, 8],
        '/dev/urandom': [1, 9],
        '/dev/tty': [5, 0],
      };
      const wrong = Object.entries(want).filter(([p, [maj, min]]) => {
        const d = report.devices[p];
        return !d || d.type !== 'c' || d.major !== maj || d.minor !== min;
      });
      expect(wrong.length === 0, wrong.map(([p]) => `${p}: ${JSON.stringify(report.devices[p] ?? 'missing')}`).join('; '));
      const ptmx = report.devices['/dev/ptmx'];
      const ptmxOk = ptmx && ((ptmx.type === 'l' && ptmx.target?.endsWith('pts/ptmx')) || (ptmx.type === 'c' && ptmx.major === 5 && ptmx.minor === 2));
      expect(Boolean(ptmxOk), `/dev/ptmx: ${JSON.stringify(ptmx ?? 'missing')}`);
    },
  },
  {
    id: 'linux.dev-symlinks',
    clause: 'config-linux.md § Dev symbolic links',
    level: 'MUST',
    requirement: 'with /proc mounted, /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr link to /proc/self/fd, fd/0, fd/1 and fd/2',
    async check(ctx) {
      const report = await ctx.probe();
      const want: Record<string, string> = {
        '/dev/fd': '/proc/self/fd',
        '/dev/stdin': '/proc/self/fd/0',
        '/dev/stdout': '/proc/self/fd/1',
        '/dev/stderr': '/proc/self/fd/2',
      };
      const wrong = Object.entries(want).filter(([p, target]) => report.devices[p]?.type !== 'l' || report.devices[p]?.target !== target);
      expect(wrong.length === 0, wrong.map(([p]) => `${p}: ${JSON.stringify(report.devices[p] ?? 'missing')}`).join('; '));
    },
  },
  {
    id: 'linux.devices',
    clause: 'config-linux.md § Devices',
    level: 'MUST',
    requirement: 'each linux.devices entry exists at its path with its type, major/minor, file mode and owner',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.linux.devices = [{ path: '/dev/conf-null', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 }];
      });
      const d = report.devices['/dev/conf-null'];
      expect(d !== undefined, '/dev/conf-null is missing');
      expect(d.type === 'c' && d.major === 1 && d.minor === 3, `/dev/conf-null is ${d.type} ${d.major}:${d.minor}`);
      expect(d.mode === 0o640, `/dev/conf-null mode is 0${d.mode.toString(8)}`);
      expect(d.uid === 1000 && d.gid === 1001, `/dev/conf-null owner is ${d.uid}:${d.gid}`);
    },
  },
  {
    id: 'linux.default-filesystems',
    clause: 'config-linux.md § Default Filesystems',
    level: 'SHOULD',
    requirement: 'with the default mounts, /proc, /sys, /dev/pts and /dev/shm are proc, sysfs, devpts and tmpfs',
    async check(ctx) {
      const report = await ctx.probe();
      const want: Record<string, string> = { '/proc': 'proc', '/sys': 'sysfs', '/dev/pts': 'devpts', '/dev/shm': 'tmpfs' };
      const wrong = Object.entries(want).filter(([p, type]) => mountAt(report, p)?.fsType !== type);
      expect(wrong.length === 0, wrong.map(([p]) => `${p}: ${mountAt(report, p)?.fsType ?? 'not mounted'}`).join('; '));
    },
  },
];
