/**
 * One meaning of a request's env and user in Containers.Create (overrides) and Tasks.Exec
 * (supervisor/containers/process-request.ts): the same table of cases through both RPCs, each
 * checked by what the process sees, or by the error naming the request's field.
 */
import { GrpcStatus } from '../../supervisor/client/client';
import { failure } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { c, bundle, run, remove } = useDaemon();

/** Its ids, then its environment as execve gave it (the shell's own variables are not in /proc/$$/environ), then "end". */
const SHOW = ['sh', '-c', 'echo "$(id -u):$(id -g)"; tr "\\0" "\\n" < /proc/$$/environ; echo end'];
const CONFIG_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Case {
  name: string;
  req: { env?: string[]; user?: string };
  /** The lines the process prints, or the request field an INVALID_ARGUMENT names. */
  sees?: string[];
  field?: string;
}

const CASES: Case[] = [
  { name: 'nothing asked: the config\'s user and env', req: {}, sees: ['0:0', CONFIG_PATH, 'TERM=xterm'] },
  {
    name: 'env replaces the entry of the same name where it stands; a new name goes last',
    req: { env: ['NEW=1', 'TERM=dumb', 'NEW=2'] },
    sees: ['0:0', CONFIG_PATH, 'TERM=dumb', 'NEW=2'],
  },
  { name: 'env values may hold "=" and spaces', req: { env: ['A=b=c d'] }, sees: ['0:0', CONFIG_PATH, 'TERM=xterm', 'A=b=c d'] },
  { name: 'user uid:gid', req: { user: '1234:567' }, sees: ['1234:567', CONFIG_PATH, 'TERM=xterm'] },
  { name: 'user uid alone: group 0', req: { user: '1234' }, sees: ['1234:0', CONFIG_PATH, 'TERM=xterm'] },
  { name: 'a user name is refused (names need an image)', req: { user: 'root' }, field: 'user' },
  { name: '4294967295 is (uid_t) -1, no id', req: { user: '4294967295' }, field: 'user' },
  { name: 'a gid of 4294967295 too', req: { user: '1000:4294967295' }, field: 'user' },
  { name: 'uid: and :gid are not ids', req: { user: '1000:' }, field: 'user' },
  { name: 'env without "="', req: { env: ['OK=1', 'NOEQUALS'] }, field: 'env[1]' },
  { name: 'env with no name', req: { env: ['=x'] }, field: 'env[0]' },
];

async function stdoutOf(id: string, execId = ''): Promise<string[]> {
  const lines: string[] = [];
  for await (const e of c().logs(id, { execId })) lines.push(`${e.stream}:${e.text}`);
  return lines.map((l) => l.replace(/^stdout:/, '')).filter((l) => l !== 'end');
}

describe('Containers.Create overrides', () => {
  test.each(CASES)('$name', async ({ req, sees, field }) => {
    const id = 'pr-create';
    const created = c().createContainer({ id, bundle: bundle(['true']).dir, overrides: { args: SHOW, ...req } });
    if (field) {
      const f = await failure(created);
      expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(f?.details.startsWith(`overrides.${field}: `)).toBe(true);
      return;
    }
    await created;
    try {
      await c().createTask(id);
      await c().startTask(id);
      expect((await c().wait(id)).exitStatus).toBe(0);
      expect(await stdoutOf(id)).toEqual(sees);
    } finally {
      await remove(id);
    }
  });
});

describe('Tasks.Exec', () => {
  const id = 'pr-exec';
  beforeAll(() => run(id, ['sleep', '600']));
  afterAll(() => remove(id));

  test.each(CASES.map((k, i) => ({ ...k, execId: `e${i}` })))('$name', async ({ req, sees, field, execId }) => {
    const started = c().exec({ id, execId, args: SHOW, ...req });
    if (field) {
      const f = await failure(started);
      expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(f?.details.startsWith(`${field}: `)).toBe(true);
      return;
    }
    await started;
    expect((await c().wait(id, { execId })).exitStatus).toBe(0);
    expect(await stdoutOf(id, execId)).toEqual(sees);
    await c().deleteTask(id, { execId });
  });
});
