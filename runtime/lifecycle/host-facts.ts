/** Facts about the host and about how tsrun was started that the plan builder needs. */
import * as fs from 'fs';
import * as os from 'os';
import { RLIM_INFINITY } from '../plan/linux';
import type { PlanContext, SecurityFacts } from '../plan/types';
import { hasErrno } from '../../common/errors';

export function readHostFacts(): Pick<PlanContext, 'lastCap' | 'inheritedNofile' | 'security' | 'hostHasKcore' | 'cloneIntoCgroup'> {
  return {
    lastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    inheritedNofile: parseInheritedNofile(process.env.TSRUN_INHERITED_NOFILE),
    security: readSecurityFacts(),
    hostHasKcore: fs.existsSync('/proc/kcore'),
    cloneIntoCgroup: kernelAtLeast(os.release(), 5, 7),
  };
}

/** Whether a kernel release ("6.1.0-18-amd64") is `major`.`minor` or later; false when it does not parse. */
export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [got, gotMinor] = [Number(m[1]), Number(m[2])];
  return got > major || (got === major && gotMinor >= minor);
}

/**
 * AppArmor as runc detects it (securityfs shows it and the module says Y), SELinux by its
 * mounted selinuxfs, resctrl by a mount of its filesystem.
 */
export function readSecurityFacts(): SecurityFacts {
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      if (hasErrno(err, 'ENOENT', 'ENOTDIR')) return null; // not mounted, or no such module
      throw err;
    }
  };
  const apparmor = fs.existsSync('/sys/kernel/security/apparmor') && (read('/sys/module/apparmor/parameters/enabled') ?? '').startsWith('Y');
  // Linux 5.8 gave each module its own attr directory; the shared file is the older interface.
  const apparmorExecAttr = fs.existsSync('/proc/self/attr/apparmor/exec') ? '/proc/self/attr/apparmor/exec' : '/proc/self/attr/exec';
  return {
    apparmorExecAttr: apparmor ? apparmorExecAttr : null,
    selinux: fs.existsSync('/sys/fs/selinux/enforce'),
    resctrl: (read('/proc/self/mountinfo') ?? '').split('\n').some((line) => line.split(' - ')[1]?.startsWith('resctrl ')),
  };
}

/**
 * Node raises the soft RLIMIT_NOFILE to the hard limit when it starts, so bin/tsrun records the
 * limits it was started with as "soft:hard" ("unlimited" allowed) before Node runs.
 */
export function parseInheritedNofile(text: string | undefined): { soft: string; hard: string } | null {
  const m = /^(\d+|unlimited):(\d+|unlimited)$/.exec(text ?? '');
  if (!m) return null;
  const value = (v: string) => (v === 'unlimited' ? RLIM_INFINITY : v);
  return { soft: value(m[1]), hard: value(m[2]) };
}
