/**
 * An image's `User` ("name", "uid", "name:group", "uid:gid", ...) as process.user, resolved
 * the way the OCI image spec's conversion says: numbers verbatim, names from the image's own
 * /etc/passwd and /etc/group; additionalGids from /etc/group only when the user was given by
 * name without a group. Pure: the files' contents come in as text (null when the image has none).
 */

import { TsrunError } from '../../common/errors';

export interface ImageUserFiles {
  passwd: string | null;
  group: string | null;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  /** The user's home directory from /etc/passwd, when the user has an entry there. */
  home?: string;
}

export class UserError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'invalid-argument' });
    this.name = 'UserError';
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const NUMBER = /^\d+$/;
const MAX_ID = 2 ** 32 - 1;

function parseId(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const n = Number(text);
  return n <= MAX_ID ? n : null;
}

/** name:password:uid:gid:gecos:home:shell; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) return [];
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    return uid === null || gid === null ? [] : [{ name: f[0], uid, gid, home: f[5] }];
  });
}

/** name:password:gid:member,member */
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) return [];
    const gid = parseId(f[2]);
    return gid === null ? [] : [{ name: f[0], gid, members: f[3].split(',').filter((m) => m !== '') }];
  });
}

/** `user` as the image config gives it ("" is root). */
export function resolveImageUser(user: string, files: ImageUserFiles): ResolvedUser {
  if (user === '') user = '0';
  const colon = user.indexOf(':');
  const userPart = colon < 0 ? user : user.slice(0, colon);
  const groupPart = colon < 0 ? null : user.slice(colon + 1);
  if (userPart === '' || groupPart === '') throw new UserError(`user ${JSON.stringify(user)} is not "user", "user:group", "uid" or "uid:gid"`);
  const passwd = files.passwd === null ? [] : parsePasswd(files.passwd);
  const groups = () => (files.group === null ? [] : parseGroup(files.group));

  const uidNumber = parseId(userPart);
  const entry = uidNumber === null ? passwd.find((p) => p.name === userPart) : passwd.find((p) => p.uid === uidNumber);
  if (uidNumber === null && !entry) {
    throw new UserError(`user ${JSON.stringify(userPart)} is not in the image's /etc/passwd${files.passwd === null ? ' (the image has none)' : ''}`);
  }
  const uid = uidNumber ?? entry!.uid;

  let gid: number;
  if (groupPart !== null) {
    const gidNumber = parseId(groupPart);
    if (gidNumber !== null) gid = gidNumber;
    else {
      const g = groups().find((x) => x.name === groupPart);
      if (!g) throw new UserError(`group ${JSON.stringify(groupPart)} is not in the image's /etc/group${files.group === null ? ' (the image has none)' : ''}`);
      gid = g.gid;
    }
  } else {
    gid = entry?.gid ?? 0;
  }

  const out: ResolvedUser = { uid, gid };
  if (entry) out.home = entry.home;
  // The spec's conversion: supplementary groups only for a user named without a group.
  if (uidNumber === null && groupPart === null) {
    const extra = [...new Set(groups().filter((g) => g.members.includes(entry!.name) && g.gid !== gid).map((g) => g.gid))];
    if (extra.length > 0) out.additionalGids = extra.sort((a, b) => a - b);
  }
  return out;
}
