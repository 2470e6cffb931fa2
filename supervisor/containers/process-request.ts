/**
 * What a request changes in a container's process, with one meaning for Containers.Create
 * (ProcessOverrides) and Tasks.Exec (ExecProcessRequest): the proto's text, and containerd's
 * where that says nothing.
 * - args: non-empty replaces the process's.
 * - env: "NAME=value" entries replace the entry of the same NAME where it stands (as containerd's
 *   WithEnv), so the process sees the request's value whichever definition it reads; new names go last.
 * - cwd: an absolute path.
 * - user: "uid" or "uid:gid", decimal ids from 0 to 4294967294; without a gid the group is 0,
 *   as containerd's for a uid that its /etc/passwd lacks. Names, and the lookup of a uid in
 *   /etc/passwd, are for an image at Create (supervisor/images/user.ts), the only files tsrund reads.
 * Empty fields keep the process's value. Pure; a bad value is INVALID_ARGUMENT naming its request
 * field, `at` followed by the field's name.
 */
import { NO_ID } from '../../spec/rules';
import type { Process } from '../../spec/types';
import { invalidArgument } from '../shared/errors';

export interface ProcessRequest {
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  user: string;
}

const ENV_NAME = /^[^=\0]+$/;
const USER = /^(\d+)(?::(\d+))?$/;
/** 4294967295 would be (uid_t) -1, "no change" to setresuid(2): the process would stay root. */
const MAX_ID = NO_ID - 1;

export function applyProcessRequest(base: Process, req: ProcessRequest, at: string): Process {
  const proc: Process = structuredClone(base);
  if (req.args.length > 0) proc.args = [...req.args];
  if (req.env.length > 0) proc.env = mergeEnv(proc.env ?? [], req.env, at);
  if (req.cwd !== '') {
    if (!req.cwd.startsWith('/')) throw invalidArgument(`${at}cwd`, `${JSON.stringify(req.cwd)} is not an absolute path`);
    proc.cwd = req.cwd;
  }
  if (req.user !== '') proc.user = { ...proc.user, ...requestUser(req.user, `${at}user`) };
  return proc;
}

function requestUser(user: string, field: string): { uid: number; gid: number } {
  const m = USER.exec(user);
  if (!m || Number(m[1]) > MAX_ID || Number(m[2] ?? 0) > MAX_ID) {
    throw invalidArgument(field, `${JSON.stringify(user)} is not "uid" or "uid:gid" with ids from 0 to ${MAX_ID} (user names need an image)`);
  }
  return { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
}

function mergeEnv(env: readonly string[], extra: readonly string[], at: string): string[] {
  const out = [...env];
  extra.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0 || !ENV_NAME.test(entry.slice(0, eq))) {
      throw invalidArgument(`${at}env[${i}]`, `${JSON.stringify(entry.slice(0, 80))} is not NAME=value`);
    }
    const name = entry.slice(0, eq + 1);
    const where = out.findIndex((e) => e.startsWith(name));
    if (where >= 0) out[where] = entry;
    else out.push(entry);
  });
  return out;
}
