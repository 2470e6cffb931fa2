/**
 * Linux security module labels: process.apparmorProfile and process.selinuxLabel become writes
 * to the exec attribute of init (the kernel applies them at execve), linux.mountLabel a
 * `context=` option on the container's own filesystems. A label the host cannot apply is refused
 * at create, as runc refuses an SELinux label without SELinux, rather than run the process
 * unconfined.
 */
import type { Process, Spec } from '../../spec/types';
import { MS_BIND, MS_MOVE, MS_PRIVATE, MS_REMOUNT, MS_SHARED, MS_SLAVE, MS_UNBINDABLE } from './linux';
import { PlanError } from './plan-error';
import type { InitStep, SecurityFacts, WriteFileStep } from './types';

/** The exec attribute SELinux reads (AppArmor's comes from SecurityFacts: it moved in Linux 5.8). */
export const SELINUX_EXEC_ATTR = '/proc/self/attr/exec';

/** Filesystems that take no context= option (the kernel labels them itself, or refuses it). */
const UNLABELLED_FILESYSTEMS = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2', 'mqueue', 'securityfs', 'bpf']);

const NOT_A_NEW_FILESYSTEM = MS_BIND | MS_REMOUNT | MS_MOVE | MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE;

/** Init steps that set the exec labels, run as root before the credentials change. */
export function execLabelSteps(proc: Process, security: SecurityFacts | undefined): WriteFileStep[] {
  const steps: WriteFileStep[] = [];
  if (proc.apparmorProfile) {
    const at = 'process.apparmorProfile';
    const attr = security?.apparmorExecAttr;
    if (!attr) throw new PlanError(at, 'AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y)');
    steps.push({ op: 'writeFile', path: attr, data: `exec ${proc.apparmorProfile}`, purpose: at });
  }
  if (proc.selinuxLabel) {
    const at = 'process.selinuxLabel';
    if (!security?.selinux) throw new PlanError(at, 'SELinux is not enabled on this host (no /sys/fs/selinux/enforce)');
    steps.push({ op: 'writeFile', path: SELINUX_EXEC_ATTR, data: proc.selinuxLabel, purpose: at });
  }
  return steps;
}

/** `steps` with linux.mountLabel added as context="…" to every new filesystem that takes one. */
export function withMountLabel(spec: Spec, security: SecurityFacts | undefined, steps: InitStep[]): InitStep[] {
  const label = spec.linux?.mountLabel;
  if (!label) return steps;
  if (!security?.selinux) throw new PlanError('linux.mountLabel', 'SELinux is not enabled on this host (no /sys/fs/selinux/enforce)');
  if (label.includes('"')) throw new PlanError('linux.mountLabel', 'must not contain a double quote');
  const context = `context="${label}"`;
  return steps.map((s) =>
    s.op === 'mount' && s.fstype !== null && !UNLABELLED_FILESYSTEMS.has(s.fstype) && (s.flags & NOT_A_NEW_FILESYSTEM) === 0
      ? { ...s, data: s.data ? `${s.data},${context}` : context }
      : s,
  );
}
