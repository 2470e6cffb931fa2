/**
 * containerd 1.6 (ctr and containerd-shim-runc-v2) driving tsrun as its runc binary, exactly as it
 * drives runc: the same cases run with runc too, so an expectation here is what runc gives. The
 * containerd is the test's own (config, root, state and socket in a temp dir; see
 * test/helpers/daemons.ts), the image a busybox one this test builds (test/helpers/oci-image.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupsUnder, Containerd, missingCommands, runtimesUnderTest } from '../helpers/daemons';
import { LOOPBACK_PROBE } from '../helpers/loopback-probe';
import { buildBusyboxArchive, OciArchive } from '../helpers/oci-image';
import { processExists, sleep, uniqueId } from '../helpers/tsrun';

jest.setTimeout(120_000);

const missing = missingCommands(['containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'unshare', 'script']);

interface Task {
  pid: number;
  status: string;
}

if (missing.length > 0) {
  test.skip(`containerd integration: this host lacks ${missing.join(', ')} (scripts/setup.sh installs them)`, () => undefined);
} else {
  describe.each(runtimesUnderTest())('containerd with %s as the runc binary', (_name, runtime) => {
    let scratch: string;
    let image: OciArchive;
    let containerd: Containerd;

    beforeAll(async () => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-containerd-test-'));
      image = buildBusyboxArchive(scratch);
      containerd = await Containerd.start();
      const imported = containerd.ctr(['images', 'import', image.file]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
    });
    afterAll(async () => {
      await containerd?.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    /** `ctr run` with the runtime under test as the runc binary, its state and the task's stdio fifos in the test's dir. */
    function ctrRun(flags: string[], id: string, args: string[]) {
      const runtimeFlags = ['--runc-binary', runtime, '--runc-root', containerd.runtimeRoot, '--fifo-dir', containerd.fifoDir];
      return containerd.ctr(['run', ...runtimeFlags, ...flags, image.ref, id, ...args]);
    }

    /** `<runtime> state <id>` as the shim would run it. */
    function runtimeState(id: string): Record<string, unknown> {
      const r = spawnSync(runtime, ['--root', path.join(containerd.runtimeRoot, containerd.namespace), 'state', id], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${runtime} state ${id}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    }

    function task(id: string): Task | undefined {
      const line = containerd
        .ctr(['tasks', 'ls'])
        .stdout.split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((f) => f[0] === id);
      return line ? { pid: Number(line[1]), status: line[2] } : undefined;
    }

    async function waitForStatus(id: string, status: string): Promise<void> {
      for (let i = 0; i < 250 && task(id)?.status !== status; i++) await sleep(20);
      expect(task(id)?.status).toBe(status);
    }

    function containerCgroups(id: string): string[] {
      return cgroupsUnder(containerd.cgroupParent).filter((d) => path.basename(d) === id);
    }

    /** Remove a stopped task and its container; returns what `ctr tasks rm` said. */
    function remove(id: string) {
      const r = containerd.ctr(['tasks', 'rm', id]);
      expect(containerd.ctr(['containers', 'rm', id]).code).toBe(0);
      return r;
    }

    test('run to exit: the output and exit status come back; task, container and cgroup are gone after', () => {
      const id = uniqueId('ctr-run');
      const r = ctrRun(['--rm'], id, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r.stdout).toBe('out\n');
      expect(r.stderr).toBe('err\n');
      expect(r.code).toBe(3);
      expect(containerd.ctr(['containers', 'ls', '--quiet']).stdout).not.toContain(id);
      expect(containerCgroups(id)).toEqual([]);
    });

    test('run: 127.0.0.1 is reachable inside the container of a new network namespace (lo is up)', () => {
      // The trailing sleep: containerd's shim can lose what a process printed right before it
      // exits (containerd/containerd#770).
      const r = ctrRun(['--rm'], uniqueId('ctr-lo'), ['sh', '-c', `${LOOPBACK_PROBE}; sleep 0.5`]);
      expect(r.stdout).toContain('over-loopback\n');
      expect(r.stdout).not.toContain('unreachable');
      expect(r.code).toBe(0);
    });

    test('a command that does not exist: create fails with the runtime\'s reason, nothing left', () => {
      const id = uniqueId('ctr-enoent');
      const r = ctrRun(['--rm'], id, ['/no/such/binary']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/OCI runtime create failed: .*exec: \\?"\/no\/such\/binary\\?": .*(no such file or directory|ENOENT)/i);
      expect(task(id)).toBeUndefined();
      expect(containerd.ctr(['containers', 'ls', '--quiet']).stdout).not.toContain(id);
      expect(containerCgroups(id)).toEqual([]);
    });

    test('run --privileged: no seccomp, the host\'s devices, and /dev/ptmx still the container\'s own', () => {
      const id = uniqueId('ctr-priv');
      const r = ctrRun(['--rm', '--privileged'], id, ['sh', '-c', 'grep Seccomp: /proc/self/status; test -c /dev/kmsg && echo has-host-devices; readlink /dev/ptmx']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('Seccomp:\t0\nhas-host-devices\npts/ptmx\n');
      expect(r.code).toBe(0);
    });

    test('run -d, tasks ps, pause, resume, kill, rm', async () => {
      const id = uniqueId('ctr-d');
      const started = ctrRun(['--detach'], id, ['sh', '-c', 'trap "exit 7" TERM; sleep 1000 & wait']);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const t = task(id)!;
      expect(t.status).toBe('RUNNING');
      expect(processExists(t.pid)).toBe(true);
      expect(fs.readFileSync(`/proc/${t.pid}/cgroup`, 'utf8')).toContain(`${containerd.cgroupParent}/${id}`);
      expect(containerCgroups(id).length).toBeGreaterThan(0);
      expect(runtimeState(id)).toMatchObject({ id, pid: t.pid, status: 'running', bundle: expect.stringMatching(new RegExp(`/${containerd.namespace}/${id}$`)) });

      // ps lists the init and its sleep (from `runtime ps --format json`).
      const ps = containerd.ctr(['tasks', 'ps', id]).stdout.trim().split('\n').slice(1);
      expect(ps.map((l) => Number(l.split(/\s+/)[0]))).toContain(t.pid);
      expect(ps).toHaveLength(2);

      expect(containerd.ctr(['tasks', 'pause', id]).code).toBe(0);
      expect(task(id)?.status).toBe('PAUSED');
      expect(runtimeState(id).status).toBe('paused');
      expect(containerd.ctr(['tasks', 'resume', id]).code).toBe(0);
      expect(task(id)?.status).toBe('RUNNING');

      expect(containerd.ctr(['tasks', 'kill', id]).code).toBe(0);
      await waitForStatus(id, 'STOPPED');
      expect(processExists(t.pid)).toBe(false);
      const removed = remove(id);
      expect(removed.code).toBe(0);
      expect(removed.stderr).toContain(`task ${id} exit with non-zero exit code 7`);
      expect(containerCgroups(id)).toEqual([]);
    });

    test('kill --all: every process of the container gets the signal', async () => {
      const id = uniqueId('ctr-all');
      expect(ctrRun(['--detach'], id, ['sh', '-c', 'sleep 1000 & sleep 1000 & wait']).code).toBe(0);
      const pid = task(id)!.pid;
      expect(containerd.ctr(['tasks', 'kill', '--all', '--signal', 'SIGKILL', id]).code).toBe(0);
      await waitForStatus(id, 'STOPPED');
      expect(processExists(pid)).toBe(false);
      expect(remove(id).stderr).toContain('exit code 137');
      expect(containerCgroups(id)).toEqual([]);
    });

    test('tasks exec: runs in the container, its output and exit status come back', async () => {
      const id = uniqueId('ctr-exec');
      expect(ctrRun(['--detach'], id, ['sleep', '1000']).code).toBe(0);
      const r = containerd.ctr(['tasks', 'exec', '--fifo-dir', containerd.fifoDir, '--exec-id', 'probe', id, 'sh', '-c', 'cat /proc/1/comm; echo err >&2; exit 4']);
      expect(r.stdout).toBe('sleep\n');
      expect(r.stderr).toBe('err\n');
      expect(r.code).toBe(4);
      expect(containerd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]).code).toBe(0);
      await waitForStatus(id, 'STOPPED');
      remove(id);
    });

    test('tasks exec of a missing command fails with the runtime\'s reason; the task runs on', async () => {
      const id = uniqueId('ctr-xe');
      expect(ctrRun(['--detach'], id, ['sleep', '1000']).code).toBe(0);
      const r = containerd.ctr(['tasks', 'exec', '--fifo-dir', containerd.fifoDir, '--exec-id', 'bad', id, '/no/such/binary']);
      expect(r.stderr).toMatch(/OCI runtime exec failed: .*exec: \\?"\/no\/such\/binary\\?": .*(no such file or directory|ENOENT)/i);
      expect(r.code).toBe(1);
      expect(task(id)?.status).toBe('RUNNING');
      expect(containerd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]).code).toBe(0);
      await waitForStatus(id, 'STOPPED');
      remove(id);
    });

    test('run -t: the process has a terminal', () => {
      const id = uniqueId('ctr-tty');
      const r = containerd.ctrInTerminal(['run', '--rm', '--tty', '--runc-binary', runtime, '--runc-root', containerd.runtimeRoot, '--fifo-dir', containerd.fifoDir, image.ref, id, 'sh', '-c', 'tty; exit 5']);
      // The terminal `script` gives ctr echoes what ctr writes to it and translates newlines once more.
      expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r+\n$/);
      expect(r.code).toBe(5);
    });
  });
}
