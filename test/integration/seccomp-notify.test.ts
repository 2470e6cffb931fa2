/**
 * SCMP_ACT_NOTIFY in real containers: tsrun hands the notify fd of the container's filter to the
 * seccomp agent at linux.seccomp.listenerPath with the containerProcessState document, and the
 * agent (this test, through the addon's ioctls) decides what a notified syscall of the container
 * returns. An agent that cannot be reached fails create and leaves nothing behind.
 */
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';
import { listenUnix, seccompNotifyReceive, seccompNotifyRespond } from '../helpers/test-native';
import { SeccompAgentSocket } from '../helpers/seccomp-agent-socket';

const fx = containerFixtures();
const WAIT_MS = 10_000;
const ENOSPC = 28;

let agent: SeccompAgentSocket;
beforeEach(() => {
  agent = new SeccompAgentSocket();
});
afterEach(() => agent.close());

function notifyBundle(script: string, syscalls: [string, ...string[]], edit?: (c: Config) => void) {
  return fx.bundle(['sh', '-c', script], (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: agent.path,
      syscalls: [{ names: syscalls, action: 'SCMP_ACT_NOTIFY' }],
    };
    edit?.(c);
  });
}

/** stdout, stderr and the exit code of a background tsrun once its pipes close. */
function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe.each([
  ['with noNewPrivileges (loaded as the last init step)', true],
  ['without noNewPrivileges (loaded before the capability drop)', false],
])('%s', (_, noNewPrivileges) => {
  test('the agent gets the fd and the state, and its answers are what mkdir returns in the container', async () => {
    const id = fx.tsrun.track(uniqueId('notify'));
    const b = notifyBundle(
      'mkdir /dev/shm/a 2>&1; mkdir /dev/shm/b && echo made-b; test -d /dev/shm/b && echo b-exists; test -d /dev/shm/a || echo no-a',
      ['mkdir', 'mkdirat'],
      (c) => {
        c.process.noNewPrivileges = noNewPrivileges;
        c.linux.seccomp!.listenerMetadata = 'agent-meta';
        c.annotations = { 'org.example': 'x' };
      },
    );
    const run = finished(fx.tsrun.background(['run', '-b', b.dir, id]));
    const { notifyFd, doc, end } = agent.receive(WAIT_MS);
    // One document per connection, closed right after it (before the container runs).
    expect(end(WAIT_MS)).toBe('closed');

    const first = seccompNotifyReceive(notifyFd, WAIT_MS);
    expect(first?.syscall).toMatch(/^mkdir(at)?$/);
    // The container waits in mkdir meanwhile: running, with the pid the document named.
    const state = fx.tsrun.state(id);
    expect(state.status).toBe('running');
    expect(doc).toEqual({
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: state.pid,
      metadata: 'agent-meta',
      state: { ociVersion: '1.3.0', id, status: 'creating', pid: state.pid, bundle: b.dir, annotations: { 'org.example': 'x' } },
    });
    seccompNotifyRespond(notifyFd, first!.id, { errno: ENOSPC });
    const second = seccompNotifyReceive(notifyFd, WAIT_MS);
    expect(second?.syscall).toBe(first?.syscall);
    seccompNotifyRespond(notifyFd, second!.id, { proceed: true });

    const r = await run;
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe("mkdir: can't create directory '/dev/shm/a': No space left on device\nmade-b\nb-exists\nno-a\n");
    expect(r.code).toBe(0);
  });

  test('a notified syscall init itself makes after loading the filter waits for the agent (create blocks until it answers)', async () => {
    // close_range: init's own call on its way to READY (fds above the preserved ones), never busybox's.
    const id = fx.tsrun.track(uniqueId('notify'));
    const b = notifyBundle('true', ['close_range'], (c) => {
      c.process.noNewPrivileges = noNewPrivileges;
    });
    const create = exitCode(fx.tsrun.background(['create', '-b', b.dir, id]));
    const { notifyFd, doc } = agent.receive(WAIT_MS);
    const call = seccompNotifyReceive(notifyFd, WAIT_MS);
    expect(call?.syscall).toBe('close_range');
    expect(call?.pid).toBe(doc.pid);
    seccompNotifyRespond(notifyFd, call!.id, { proceed: true });
    expect(await create).toBe(0);
    expect(fx.tsrun.state(id)).toMatchObject({ status: 'created', pid: doc.pid });
  });
});

test('a process of `tsrun exec` gets the container\'s filter and its own notify fd, sent with its pid and the container\'s state', async () => {
  const id = fx.tsrun.track(uniqueId('notify'));
  const b = notifyBundle('sleep 60', ['mkdir', 'mkdirat'], (c) => {
    c.annotations = { 'org.example': 'y' };
  });
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  const init = agent.receive(WAIT_MS);
  const state = fx.tsrun.state(id);
  expect(init.doc.pid).toBe(state.pid);

  const exec = finished(fx.tsrun.background(['exec', id, 'sh', '-c', 'mkdir /dev/shm/e 2>&1; echo done']));
  const { notifyFd, doc } = agent.receive(WAIT_MS);
  expect(doc).toMatchObject({
    ociVersion: '1.3.0',
    fds: ['seccompFd'],
    state: { ociVersion: '1.3.0', id, status: 'running', pid: state.pid, bundle: b.dir, annotations: { 'org.example': 'y' } },
  });
  expect(doc.pid).not.toBe(state.pid);
  const call = seccompNotifyReceive(notifyFd, WAIT_MS);
  expect(call?.syscall).toMatch(/^mkdir(at)?$/);
  seccompNotifyRespond(notifyFd, call!.id, { errno: ENOSPC });

  const r = await exec;
  expect(r.stdout).toBe("mkdir: can't create directory '/dev/shm/e': No space left on device\ndone\n");
  expect(r.code).toBe(0);
  // The init's filter is untouched by the exec: its agent never heard of this mkdir.
  expect(seccompNotifyReceive(init.notifyFd, 100)).toBeNull();
});

describe('an agent that cannot be reached fails create, which leaves nothing behind', () => {
  test.each([
    ['no socket at listenerPath', 'ENOENT', () => agent.path + '.missing'],
    ['a socket nobody listens on', 'ECONNREFUSED', () => {
      const dead = path.join(path.dirname(agent.path), 'dead.sock');
      fs.closeSync(listenUnix(dead));
      return dead;
    }],
  ])('%s: %s', (_, code, listenerPath) => {
    const id = uniqueId('notify');
    const where = listenerPath();
    const b = notifyBundle('true', ['mkdir'], (c) => {
      c.linux.seccomp!.listenerPath = where;
    });
    const r = fx.tsrun.cmd(['create', '-b', b.dir, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('linux.seccomp.listenerPath');
    expect(r.stderr).toContain(`${where}: ${code}`);
    expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
    expect(fs.readdirSync(fx.tsrun.root)).toEqual([]);
  });
});

test('tsrun features lists SCMP_ACT_NOTIFY and SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', () => {
  const r = fx.tsrun.cmd(['features']);
  const seccomp = JSON.parse(r.stdout).linux.seccomp;
  expect(seccomp.actions).toContain('SCMP_ACT_NOTIFY');
  expect(seccomp.supportedFlags).toContain('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
});
