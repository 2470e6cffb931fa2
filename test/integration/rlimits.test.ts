/**
 * process.rlimits low enough to break the runtime's own last steps if they were set early (the
 * exec fifo, startContainer hooks, exec's set-up): tsrun sets them as late as it can, right
 * before the seccomp filter and execve, so a workload that needs no more than the limits runs.
 */
import type { Config } from '../helpers/bundle';
import { SeededRandom } from '../helpers/seeded-choices';
import { containerFixtures } from '../helpers/fixtures';
import { sleep, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

type Rlimit = { type: string; soft: number; hard: number };

const withRlimits = (rlimits: Rlimit[], more?: (c: Config) => void) => (c: Config) => {
  c.process.rlimits = rlimits;
  more?.(c);
};

const NOFILE_0 = [{ type: 'RLIMIT_NOFILE', soft: 0, hard: 1024 }];

/** create, start, and the container's end; start must succeed and say nothing. */
async function createAndStart(args: string[], edit: (c: Config) => void): Promise<void> {
  const b = fx.bundle(args, edit);
  const id = fx.tsrun.track(uniqueId('rlim'));
  const created = fx.tsrun.cmd(['create', '-b', b.dir, id]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const started = fx.tsrun.cmd(['start', id]);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  while (fx.tsrun.state(id).status !== 'stopped') await sleep(50);
}

function run(args: string[], edit: (c: Config) => void) {
  const b = fx.bundle(args, edit);
  return fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('rlim'))]);
}

test('RLIMIT_NOFILE soft 0: create + start runs `true` (the exec fifo is opened before the limit is set)', async () => {
  await createAndStart(['true'], withRlimits(NOFILE_0));
});

test('RLIMIT_NOFILE soft 0: run runs `true`, with a startContainer hook before the limit', () => {
  const hook = (c: Config) => {
    c.hooks = { startContainer: [{ path: '/bin/true' }] };
  };
  expect(run(['true'], withRlimits(NOFILE_0, hook))).toMatchObject({ code: 0, stderr: '' });
});

test('the limits are in effect in the container: ulimit -n is the soft limit', () => {
  const r = run(['sh', '-c', 'ulimit -n; ulimit -Hn'], withRlimits([{ type: 'RLIMIT_NOFILE', soft: 4, hard: 1024 }]));
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout.trim().split('\n')).toEqual(['4', '1024']);
});

test('exec into a container with RLIMIT_NOFILE soft 0 runs `true`; with soft 4 the exec sees 4', () => {
  for (const [soft, args, out] of [
    [0, ['true'], ''],
    [4, ['sh', '-c', 'ulimit -n'], '4\n'],
  ] as const) {
    const b = fx.bundle(['sleep', '600'], withRlimits([{ type: 'RLIMIT_NOFILE', soft, hard: 1024 }]));
    const id = fx.tsrun.track(uniqueId('rlim'));
    expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id])).toMatchObject({ code: 0, stderr: '' });
    expect(fx.tsrun.cmd(['exec', id, ...args])).toMatchObject({ code: 0, stderr: '', stdout: out });
  }
});

test('a limit init cannot set fails the start with the limit and its config field', async () => {
  // Above fs.nr_open: the kernel refuses it, whatever the privileges.
  const b = fx.bundle(['true'], withRlimits([{ type: 'RLIMIT_NOFILE', soft: 2 ** 31, hard: 2 ** 31 }]));
  const id = fx.tsrun.track(uniqueId('rlim'));
  const created = fx.tsrun.cmd(['create', '-b', b.dir, id]);
  expect(created.code).toBe(0);
  // Init is gone without the start byte: start says so.
  expect(fx.tsrun.cmd(['start', id]).code).not.toBe(0);
  const r = run(['true'], withRlimits([{ type: 'RLIMIT_NOFILE', soft: 2 ** 31, hard: 2 ** 31 }]));
  expect(r.code).toBe(1);
  expect(r.stderr.split('\n')[0]).toBe('tsrun: setrlimit RLIMIT_NOFILE (soft 2147483648, hard 2147483648) of process.rlimits[0]: EPERM');
});

/** Small soft limits `true` (busybox, static) does not need more than, per resource. */
const SMALL: Record<string, (rng: SeededRandom) => number> = {
  RLIMIT_NOFILE: (rng) => rng.int(4),
  RLIMIT_NPROC: (rng) => rng.int(3),
  RLIMIT_FSIZE: (rng) => rng.int(4096),
  RLIMIT_AS: (rng) => (16 + rng.int(48)) << 20,
  RLIMIT_STACK: (rng) => (128 + rng.int(896)) << 10,
  RLIMIT_CORE: (rng) => rng.int(4096),
  RLIMIT_MEMLOCK: (rng) => rng.int(65536),
};

test('class: seeded small soft limits of every resource `true` does not need never break tsrun', async () => {
  const rng = new SeededRandom(0x11a1);
  for (let i = 0; i < 12; i++) {
    const types = Object.keys(SMALL).filter(() => rng.chance(0.5));
    const rlimits = types.map((type) => {
      const soft = SMALL[type](rng);
      // RLIMIT_NOFILE may not go above fs.nr_open.
      return { type, soft, hard: type === 'RLIMIT_NOFILE' ? 1024 : 2 * soft + 1024 };
    });
    const hooks = rng.chance(0.5);
    const edit = withRlimits(rlimits, (c) => {
      if (hooks) c.hooks = { startContainer: [{ path: '/bin/true' }] };
    });
    const what = JSON.stringify({ rlimits, hooks });
    if (rng.chance(0.5)) {
      expect({ what, ...run(['true'], edit) }).toMatchObject({ what, code: 0, stderr: '' });
    } else {
      await createAndStart(['true'], edit);
    }
  }
});
