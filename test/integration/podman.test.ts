/**
 * podman 4 driving tsrun in runc's place, through conmon, exactly as it drives runc: the same cases
 * run with runc too, so an expectation here is what runc gives. podman has storage, run and tmp
 * dirs of its own, cgroupfs, no network and a busybox image this test builds (test/helpers/
 * oci-image.ts); see test/helpers/daemons.ts for how it is kept off the host.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupsUnder, missingCommands, Podman, runtimesUnderTest } from '../helpers/daemons';
import { LOOPBACK_PROBE } from '../helpers/loopback-probe';
import { buildBusyboxArchive, OciArchive } from '../helpers/oci-image';
import { processExists, sleep, uniqueId } from '../helpers/tsrun';

jest.setTimeout(120_000);

const missing = missingCommands(['podman', 'conmon', 'runc', 'unshare', 'nsenter', 'script']);

if (missing.length > 0) {
  test.skip(`podman integration: this host lacks ${missing.join(', ')} (scripts/setup.sh installs them)`, () => undefined);
} else {
  describe.each(runtimesUnderTest())('podman with %s as its OCI runtime', (_name, runtime) => {
    let scratch: string;
    let image: OciArchive;
    let podman: Podman;

    beforeAll(async () => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-podman-test-'));
      image = buildBusyboxArchive(scratch);
      podman = await Podman.start(runtime);
      const loaded = podman.cmd(['load', '--quiet', '--input', image.file]);
      expect(loaded.stderr).toBe('');
      expect(loaded.stdout).toContain(image.ref);
    });
    afterAll(async () => {
      await podman?.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    function run(args: string[]) {
      return podman.cmd(['run', ...podman.runFlags, ...args]);
    }

    /** The container cgroups podman made for `id` (libpod-<id> under the test's cgroup parent). */
    function containerCgroups(id: string): string[] {
      return cgroupsUnder(podman.cgroupParent).filter((d) => d.includes(`libpod-${id}`));
    }

    /** A detached container running `sleep 1000`, for exec tests; its name. */
    function sleeper(prefix: string): string {
      const name = uniqueId(prefix);
      const r = run(['--detach', '--name', name, image.ref, 'sleep', '1000']);
      if (r.code !== 0) throw new Error(`podman run -d: ${r.stderr}`);
      return name;
    }

    function removeForcibly(name: string): void {
      expect(podman.cmd(['rm', '--force', '--time', '0', name]).code).toBe(0);
    }

    function exists(name: string): boolean {
      return podman.cmd(['container', 'exists', name]).code === 0;
    }

    function inspect(name: string, format: string): string {
      const r = podman.cmd(['inspect', '--format', format, name]);
      if (r.code !== 0) throw new Error(`podman inspect ${name}: ${r.stderr}`);
      return r.stdout.trim();
    }

    test('run --rm: the container\'s stdout, stderr and exit status; nothing left after', () => {
      const name = uniqueId('pm-rm');
      const r = run(['--rm', '--name', name, image.ref, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r.stderr).toBe('err\n');
      expect(r.stdout).toBe('out\n');
      expect(r.code).toBe(3);
      expect(exists(name)).toBe(false);
      expect(cgroupsUnder(podman.cgroupParent).filter((d) => d.includes('libpod-'))).toEqual([]);
    });

    test('run --network=none: 127.0.0.1 is reachable inside the container (lo is up)', () => {
      const r = run(['--rm', '--network=none', image.ref, 'sh', '-c', LOOPBACK_PROBE]);
      expect(r.stdout).toContain('over-loopback\n');
      expect(r.stdout).not.toContain('unreachable');
      expect(r.code).toBe(0);
    });

    test('run of a missing command: 127 and the runtime\'s reason', () => {
      const name = uniqueId('pm-enoent');
      const r = run(['--rm', '--name', name, image.ref, '/no/such/binary']);
      expect(r.code).toBe(127);
      expect(r.stderr).toMatch(/exec: \\?"\/no\/such\/binary\\?": .*(no such file or directory|ENOENT)/i);
      expect(exists(name)).toBe(false);
    });

    test('run with a user, working directory, environment, hostname and memory and pids limits', () => {
      const flags = ['--user', '65534:65534', '--workdir', '/tmp', '--env', 'FOO=bar', '--hostname', 'box', '--memory', '64m', '--pids-limit', '50'];
      // cgroup v1 paths first, then v2's: podman mounts the container's own cgroups at /sys/fs/cgroup.
      const script = 'id; pwd; echo $FOO; hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max';
      const r = run(['--rm', ...flags, image.ref, 'sh', '-c', script]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp\nbar\nbox\n67108864\n50\n');
      expect(r.code).toBe(0);
    });

    test('run --read-only: the root is read-only, the tmpfs podman puts on /tmp is writable', () => {
      const r = run(['--rm', '--read-only', image.ref, 'sh', '-c', 'touch /x 2>&1; echo > /tmp/y && echo tmp-writable']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('touch: /x: Read-only file system\ntmp-writable\n');
      expect(r.code).toBe(0);
    });

    test('--tmpfs over an image directory starts with that directory\'s files (tmpcopyup)', () => {
      const r = run(['--rm', '--tmpfs', '/etc', image.ref, 'sh', '-c', 'grep -c " /etc tmpfs " /proc/mounts; head -1 /etc/passwd']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('1\nroot:x:0:0:root:/root:/bin/sh\n');
      expect(r.code).toBe(0);
    });

    test('--device: the host\'s device node appears under its new path, usable', () => {
      const r = run(['--rm', '--device', '/dev/null:/dev/mynull', image.ref, 'sh', '-c', 'ls -l /dev/mynull; echo x > /dev/mynull && echo written']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .* \/dev\/mynull\nwritten\n$/);
      expect(r.code).toBe(0);
    });

    test('run --privileged: no seccomp, the host\'s devices, and /dev/ptmx still the container\'s own', () => {
      const r = run(['--rm', '--privileged', image.ref, 'sh', '-c', 'grep Seccomp: /proc/self/status; test -c /dev/kmsg && echo has-host-devices; readlink /dev/ptmx']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('Seccomp:\t0\nhas-host-devices\npts/ptmx\n');
      expect(r.code).toBe(0);
    });

    test('run -d, pause, unpause, stop, rm', async () => {
      const name = uniqueId('pm-d');
      const started = run(['--detach', '--name', name, image.ref, 'sh', '-c', 'trap "exit 7" TERM; sleep 1000 & wait']);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      const id = started.stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(inspect(name, '{{.State.Status}}')).toBe('running');
      const pid = Number(inspect(name, '{{.State.Pid}}'));
      expect(processExists(pid)).toBe(true);
      expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`${podman.cgroupParent}/libpod-${id}`);
      expect(containerCgroups(id).length).toBeGreaterThan(0);


      expect(podman.cmd(['pause', name]).code).toBe(0);
      expect(inspect(name, '{{.State.Status}}')).toBe('paused');
      expect(podman.cmd(['unpause', name]).code).toBe(0);
      expect(inspect(name, '{{.State.Status}}')).toBe('running');

      const stop = podman.cmd(['stop', '--time', '10', name]);
      expect(stop.stderr).toBe('');
      expect(stop.code).toBe(0);
      expect(inspect(name, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 7');
      for (let i = 0; i < 100 && processExists(pid); i++) await sleep(20);
      expect(processExists(pid)).toBe(false);

      expect(podman.cmd(['rm', name]).code).toBe(0);
      expect(exists(name)).toBe(false);
      expect(containerCgroups(id)).toEqual([]);
    });

    test('exec joins a running container: its pid 1 is the container\'s, its output and exit status come back', () => {
      const name = sleeper('pm-x');
      const exec = podman.cmd(['exec', name, 'sh', '-c', 'cat /proc/1/comm; echo err >&2; exit 4']);
      expect(exec.stdout).toBe('sleep\n');
      expect(exec.stderr).toBe('err\n');
      expect(exec.code).toBe(4);
      removeForcibly(name);
    });

    test('exec with a user, a working directory and an environment variable', () => {
      const name = sleeper('pm-xo');
      const r = podman.cmd(['exec', '--user', '65534', '--workdir', '/tmp', '--env', 'FOO=bar', name, 'sh', '-c', 'id; pwd; echo $FOO']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('uid=65534(nobody) gid=65534(nogroup)\n/tmp\nbar\n');
      expect(r.code).toBe(0);
      removeForcibly(name);
    });

    test('exec of a missing command exits 127, of a non-executable file 126, with the reason', () => {
      const name = sleeper('pm-xe');
      const missingCommand = podman.cmd(['exec', name, '/no/such/binary']);
      expect(missingCommand.stderr).toMatch(/exec: \\?"\/no\/such\/binary\\?": .*(no such file or directory|ENOENT)/i);
      expect(missingCommand.code).toBe(127);
      const notExecutable = podman.cmd(['exec', name, '/etc/passwd']);
      expect(notExecutable.stderr).toMatch(/exec: \\?"\/etc\/passwd\\?": .*(permission denied|EACCES)/i);
      expect(notExecutable.code).toBe(126);
      removeForcibly(name);
    });

    test('run -t: the process has a terminal, its exit status comes back', () => {
      const r = podman.inTerminal(['run', '--rm', '--tty', ...podman.runFlags, image.ref, 'sh', '-c', 'tty; test -t 0 && echo stdin-is-a-tty; exit 5']);
      expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nstdin-is-a-tty\r\n$/);
      expect(r.code).toBe(5);
    });

    test('exec -t in a running container gets a terminal', () => {
      const name = sleeper('pm-xt');
      const r = podman.inTerminal(['exec', '--tty', name, 'sh', '-c', 'tty; exit 6']);
      expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
      expect(r.code).toBe(6);
      removeForcibly(name);
    });
  });
}
