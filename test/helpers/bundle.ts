/**
 * Real OCI bundles for tests: a busybox rootfs built from Debian's busybox-static (one static
 * binary plus a symlink per applet) and a config.json from `tsrun spec`'s defaults, adjusted per
 * test. Bundles live in a private temp directory that `cleanup()` removes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultSpec } from '../../spec/default-config';

export const BUSYBOX = '/bin/busybox';

/** Fill `dir` with a busybox root filesystem: the static binary and a symlink per applet. */
function buildRootfs(dir: string): void {
  if (!fs.existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (apt-get install busybox-static)`);
  }
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'var', 'run']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  for (const applet of applets()) fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
}

let appletList: string[] | null = null;
function applets(): string[] {
  appletList ??= execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  return appletList;
}

export type Config = ReturnType<typeof defaultSpec>;

export interface Bundle {
  dir: string;
  rootfs: string;
  config: Config;
  /** Write `config` (after a test changed it) to config.json. */
  save(): void;
  cleanup(): void;
}

/** A bundle running `args` (no terminal) with the default config, edited by `edit` if given. */
export function makeBundle(args: string[], edit?: (c: Config) => void): Bundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bundle-'));
  // mkdtemp makes 0700: root in a user namespace, or a non-root user, could not reach the rootfs.
  fs.chmodSync(dir, 0o755);
  const rootfs = path.join(dir, 'rootfs');
  buildRootfs(rootfs);
  const config = defaultSpec();
  config.process.terminal = false;
  config.process.args = args;
  edit?.(config);
  const bundle: Bundle = {
    dir,
    rootfs,
    config,
    save: () => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(bundle.config, null, 2)),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  bundle.save();
  return bundle;
}
