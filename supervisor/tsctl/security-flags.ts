/**
 * docker's security run flags for `tsctl run`: --privileged, --cap-add, --cap-drop and
 * --security-opt (seccomp=unconfined|FILE, no-new-privileges[=true|false]), as the security
 * part of ProcessOverrides. tsctl reads a seccomp FILE itself and sends its text (tsrund checks
 * it); capability names go as given, tsrund checks them too.
 */
import * as fs from 'fs';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { fsErrorText, TsrunError } from '../../common/errors';
import type { ProcessOverrides } from '../api/types';

export type SecurityOverrides = Pick<ProcessOverrides, 'privileged' | 'capAdd' | 'capDrop' | 'seccompProfile' | 'noNewPrivileges'>;

export const SECURITY_FLAGS: FlagSpec[] = [
  { name: 'privileged', kind: 'bool', usage: 'every capability, no seccomp, no masked or read-only paths', default: false },
  { name: 'cap-add', kind: 'list', usage: 'add a capability (CHOWN or CAP_CHOWN; ALL) (repeatable)' },
  { name: 'cap-drop', kind: 'list', usage: 'drop a capability (ALL: every one) (repeatable)' },
  { name: 'security-opt', kind: 'list', usage: 'seccomp=unconfined, seccomp=FILE (a LinuxSeccomp JSON), no-new-privileges (repeatable)' },
];

const bad = (opt: string, why: string) => new TsrunError(`run: --security-opt ${opt}: ${why}`, { code: 'invalid-argument', subject: '--security-opt' });

/** "true"/"false" of no-new-privileges[=|:]VALUE; no value is true. */
function flagValue(opt: string, value: string | undefined): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw bad(opt, 'the value must be true or false');
}

/** The overrides the flags ask for; `readFile` reads a seccomp profile FILE (tsctl's own files). */
export function securityOverrides(flags: FlagValues, readFile: (file: string) => string = (f) => fs.readFileSync(f, 'utf8')): SecurityOverrides {
  const o: SecurityOverrides = {
    privileged: flags.privileged === true,
    capAdd: [...((flags['cap-add'] as string[] | undefined) ?? [])],
    capDrop: [...((flags['cap-drop'] as string[] | undefined) ?? [])],
    seccompProfile: '',
    noNewPrivileges: false,
  };
  for (const opt of (flags['security-opt'] as string[] | undefined) ?? []) {
    // docker takes "key=value" and the older "key:value".
    const sep = opt.search(/[=:]/);
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = sep < 0 ? undefined : opt.slice(sep + 1);
    if (key === 'no-new-privileges') o.noNewPrivileges = flagValue(opt, value);
    else if (key === 'seccomp') {
      if (!value) throw bad(opt, 'give seccomp=unconfined or seccomp=FILE');
      o.seccompProfile = value === 'unconfined' ? 'unconfined' : readProfile(opt, value, readFile);
    } else throw bad(opt, 'not supported (tsctl knows seccomp=… and no-new-privileges)');
  }
  return o;
}

function readProfile(opt: string, file: string, readFile: (file: string) => string): string {
  try {
    return readFile(file);
  } catch (err) {
    throw bad(opt, fsErrorText(err) ?? `cannot read ${file}: ${(err as Error).message}`);
  }
}
