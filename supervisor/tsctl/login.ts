/**
 * `tsctl login` and `tsctl logout`: tsrund checks the credentials against the registry and keeps
 * them in its auth file, which its pulls and pushes read. Messages as docker's.
 */
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import type { TsrundClient } from '../client/client';
import { out, printJson } from './output';
import { UsageError } from './parser';

export const LOGIN_FLAGS: FlagSpec[] = [
  { name: 'username', short: 'u', kind: 'string', usage: 'the user name' },
  { name: 'password', short: 'p', kind: 'string', usage: 'the password (--password-stdin keeps it out of the process list)' },
  { name: 'password-stdin', kind: 'bool', usage: 'read the password from stdin', default: false },
];

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // As docker: the one line's end is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A refusal here is the command's, not a flag's (docker's exit 1, as for its non-interactive login). */
export async function loginCommand(c: TsrundClient, f: FlagValues, [server]: string[], json: boolean): Promise<number> {
  const username = f.username as string | undefined;
  let password = f.password as string | undefined;
  if (f['password-stdin']) {
    if (password !== undefined) throw new UsageError('login: give --password or --password-stdin, not both', false);
    if (username === undefined) throw new UsageError('login: give --username with --password-stdin', false);
    password = await readStdin();
  }
  if (username === undefined || password === undefined)
    throw new UsageError('login: give the user with -u USER and the password with --password-stdin (or -p PASS) (see tsctl login --help)', false);
  if (f.password !== undefined) process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  const kept = await c.login(server ?? '', username, password);
  if (json) printJson({ server: kept, status: 'Login Succeeded' });
  else out('Login Succeeded\n');
  return 0;
}

export async function logoutCommand(c: TsrundClient, _f: FlagValues, [server]: string[], json: boolean): Promise<number> {
  const r = await c.logout(server ?? '');
  if (json) printJson(r);
  else out(r.removed ? `Removing login credentials for ${r.server}\n` : `Not logged in to ${r.server}\n`);
  return 0;
}
