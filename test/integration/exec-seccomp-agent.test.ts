/**
 * The containerProcessState a seccomp agent gets for an exec'd process is the same from both
 * front ends, `tsrun exec` and tsrund's Tasks.Exec (one builder, runtime/plan/seccomp.ts
 * agentState): this runtime's spec version, the exec's pid, the listener metadata, and the
 * container's state with its init's pid, its status (created or running), its bundle, and its
 * annotations only when the config has some.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';
import { SeccompAgentSocket } from '../helpers/seccomp-agent-socket';
import { useDaemon } from '../supervisor/fixtures';

jest.setTimeout(60_000);

const fx = containerFixtures();
const { c, remove } = useDaemon();
const WAIT_MS = 10_000;

let agent: SeccompAgentSocket;
beforeEach(() => {
  agent = new SeccompAgentSocket();
});
afterEach(() => agent.close());

const notifying = (annotations: Record<string, string> | undefined) => (config: Config) => {
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: agent.path,
    listenerMetadata: 'exec-meta',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  };
  if (annotations) config.annotations = annotations;
};

interface Container {
  id: string;
  bundle: string;
  initPid: number;
}

/** How a front end makes the container (started or only created) and runs an exec in it, resolving with the exec's pid. */
interface FrontEnd {
  name: string;
  create(edit: (c: Config) => void, start: boolean): Promise<Container>;
  exec(k: Container): Promise<number>;
  cleanup(k: Container): Promise<void>;
}

const FRONT_ENDS: FrontEnd[] = [
  {
    name: 'tsrun exec',
    async create(edit, start) {
      const id = fx.tsrun.track(uniqueId('xagent'));
      const b = fx.bundle(['sleep', '600'], edit);
      expect(fx.tsrun.cmd(start ? ['run', '-d', '-b', b.dir, id] : ['create', '-b', b.dir, id]).code).toBe(0);
      return { id, bundle: b.dir, initPid: fx.tsrun.state(id).pid as number };
    },
    async exec(k) {
      const pidFile = path.join(fx.tsrun.root, `${k.id}.exec.pid`);
      const r = fx.tsrun.cmd(['exec', '-d', '--pid-file', pidFile, k.id, 'sleep', '600']);
      expect(r.stderr).toBe('');
      return Number(fs.readFileSync(pidFile, 'utf8'));
    },
    async cleanup() {
      // The fixture removes the container and every process of it.
    },
  },
  {
    name: 'Tasks.Exec',
    async create(edit, start) {
      const id = uniqueId('xagent');
      const b = fx.bundle(['sleep', '600'], edit);
      await c().createContainer({ id, bundle: b.dir });
      const { pid: initPid } = await c().createTask(id);
      if (start) await c().startTask(id);
      return { id, bundle: b.dir, initPid };
    },
    exec: (k) => c().exec({ id: k.id, execId: 'agent', args: ['sleep', '600'] }),
    cleanup: (k) => remove(k.id),
  },
];

const CASES = [
  { name: 'a running container with annotations', start: true, annotations: { 'org.example': 'y' } },
  { name: 'a created container without annotations', start: false, annotations: undefined },
];

describe.each(FRONT_ENDS)('$name', (front) => {
  test.each(CASES)('$name', async ({ start, annotations }) => {
    const k = await front.create(notifying(annotations), start);
    try {
      // The init's own document comes first, at create.
      expect(agent.receive(WAIT_MS).doc.pid).toBe(k.initPid);
      const pid = await front.exec(k);
      expect(agent.receive(WAIT_MS).doc).toEqual({
        ociVersion: '1.3.0',
        fds: ['seccompFd'],
        pid,
        metadata: 'exec-meta',
        state: {
          ociVersion: '1.3.0',
          id: k.id,
          status: start ? 'running' : 'created',
          pid: k.initPid,
          bundle: k.bundle,
          ...(annotations ? { annotations } : {}),
        },
      });
    } finally {
      await front.cleanup(k);
    }
  });
});
