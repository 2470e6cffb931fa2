/**
 * Cases on config-linux.md § Seccomp (listenerPath) and runtime.md's containerProcessState: with
 * a SCMP_ACT_NOTIFY rule the runtime sends one state document with the notify fd per connection
 * to the agent's socket and closes it, the fd is the filter's (the agent's answer is what the
 * container's syscall returns), and a socket that cannot be reached is an error.
 */
import type { Config } from '../../test/helpers/bundle';
import { seccompNotifyReceive, seccompNotifyRespond } from '../../test/helpers/test-native';
import { SeccompAgentSocket } from '../../test/helpers/seccomp-agent-socket';
import { Case, expect } from '../case';

const WAIT_MS = 10_000;
const ENOSPC = 28;
const CLAUSE = 'config-linux.md § Seccomp';

function notifyOnMkdir(listenerPath: string, metadata?: string): (c: Config) => void {
  return (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath,
      ...(metadata === undefined ? {} : { listenerMetadata: metadata }),
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
  };
}

export const seccompNotifyCases: Case[] = [
  {
    id: 'seccomp.notify-agent',
    clause: CLAUSE,
    level: 'MUST',
    requirement:
      'with SCMP_ACT_NOTIFY the runtime sends the agent at listenerPath one containerProcessState (fds ["seccompFd"], pid, metadata, state) with the notify fd, then closes the connection; the agent\'s answer is what the container\'s syscall returns',
    async check(ctx) {
      const agent = new SeccompAgentSocket();
      const id = ctx.runtime.newId('notify');
      try {
        const b = ctx.bundle(['sh', '-c', 'mkdir /dev/shm/x 2>&1; echo done'], notifyOnMkdir(agent.path, 'conformance-meta'));
        const running = ctx.runtime.run(id, b.dir);
        const { notifyFd, doc, end } = agent.receive(WAIT_MS);
        const call = seccompNotifyReceive(notifyFd, WAIT_MS);
        expect(call !== null, 'no notification for the container\'s mkdir reached the agent');
        seccompNotifyRespond(notifyFd, call.id, { errno: ENOSPC });
        const r = await running;
        expect(r.code === 0, `run exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 300)}`);
        expect(r.stdout.includes('No space left on device'), `the container saw ${JSON.stringify(r.stdout)}, not the agent's ENOSPC`);
        // Closed by the time run is over (runc 1.1 holds it until it exits; tsrun closes it at once).
        const after = end(WAIT_MS);
        expect(after === 'closed', `the connection is ${after} after the document`);

        const state = (doc.state ?? {}) as Record<string, unknown>;
        expect(typeof doc.ociVersion === 'string', `ociVersion is ${JSON.stringify(doc.ociVersion)}`);
        expect(JSON.stringify(doc.fds) === '["seccompFd"]', `fds is ${JSON.stringify(doc.fds)}`);
        expect(Number.isInteger(doc.pid) && (doc.pid as number) > 0, `pid is ${JSON.stringify(doc.pid)}`);
        expect(doc.metadata === 'conformance-meta', `metadata is ${JSON.stringify(doc.metadata)}`);
        expect(state.id === id, `state.id is ${JSON.stringify(state.id)}`);
        expect(state.pid === doc.pid, `state.pid ${JSON.stringify(state.pid)} is not the container process's ${doc.pid}`);
        expect(typeof state.bundle === 'string' && typeof state.status === 'string', `state is ${JSON.stringify(state)}`);
      } finally {
        ctx.runtime.forceDelete(id);
        agent.close();
      }
    },
  },
  {
    id: 'seccomp.notify-unreachable',
    clause: CLAUSE,
    level: 'MUST',
    requirement: 'when sending to listenerPath fails the runtime generates an error: create fails and no container is left',
    async check(ctx) {
      const agent = new SeccompAgentSocket();
      const id = ctx.runtime.newId('notify');
      try {
        const b = ctx.bundle(['true'], notifyOnMkdir(`${agent.path}.missing`));
        const r = ctx.runtime.create(id, b.dir);
        expect(r.code !== 0, 'create succeeded with no agent at listenerPath');
        const s = ctx.runtime.state(id);
        expect('error' in s, `state still answers: ${JSON.stringify(s)}`);
      } finally {
        ctx.runtime.forceDelete(id);
        agent.close();
      }
    },
  },
];
