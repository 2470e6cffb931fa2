/**
 * A hostile rootfs generator for mount targets: every mount destination of the default config,
 * and a bind target, replaced in the rootfs by a symlink to "/", to "..", to /etc, to a path of
 * the host, by a dangling symlink, a file or a fifo. Each case either mounts inside the
 * container's root (seen from the host in the created init's /proc/<pid>/mountinfo: nothing
 * over the root, nothing on the host) or fails with one line naming the destination, leaving no
 * container; never a hang.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultSpec } from '../../spec/default-config';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

const BIND_TARGET = '/mnt/bind';
const DESTINATIONS = [...defaultSpec().mounts.map((m) => m.destination), BIND_TARGET];

let scratch = '';
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hostile-'));
  fs.mkdirSync(path.join(scratch, 'host-dir'));
  fs.mkdirSync(path.join(scratch, 'bind-source'));
  fs.writeFileSync(path.join(scratch, 'bind-source', 'mark'), 'bound\n');
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** What a destination of the rootfs is turned into: made at `at` (absolute host path). */
const HOSTILE: Record<string, (at: string) => void> = {
  'symlink to /': (at) => fs.symlinkSync('/', at),
  'symlink to ..': (at) => fs.symlinkSync('..', at),
  'symlink to /etc': (at) => fs.symlinkSync('/etc', at),
  'symlink to a host path': (at) => fs.symlinkSync(path.join(scratch, 'host-dir'), at),
  'dangling symlink': (at) => fs.symlinkSync('/no/such/dir', at),
  'regular file': (at) => fs.writeFileSync(at, 'not a directory\n'),
  fifo: (at) => execFileSync('mkfifo', [at]),
};

const cases = DESTINATIONS.flatMap((destination) => Object.keys(HOSTILE).map((kind) => [destination, kind] as const));

/** Mount points of `pid`'s mount namespace as it sees them (field 5 of mountinfo). */
function mountPoints(pid: number): string[] {
  return fs
    .readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[4]);
}

function hostMountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[4]?.startsWith(dir));
}

test.each(cases)('%s as a %s: mounted inside the root, or refused naming it', (destination, kind) => {
  const b = fx.bundle(['true'], (c) => {
    c.mounts.push({ destination: BIND_TARGET, type: 'bind', source: path.join(scratch, 'bind-source'), options: ['rbind'] });
  });
  const at = path.join(b.rootfs, destination);
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.rmSync(at, { recursive: true, force: true });
  HOSTILE[kind](at);

  const id = fx.tsrun.track(uniqueId('hostile'));
  const r = fx.tsrun.cmd(['create', '-b', b.dir, id], { timeoutMs: 30_000 });
  expect(r.signal).toBeNull(); // no hang, no crash
  expect(hostMountsUnder(scratch)).toEqual([]);
  expect(fs.readdirSync(path.join(scratch, 'host-dir'))).toEqual([]);
  if (r.code !== 0) {
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(destination);
    expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
    return;
  }
  const points = mountPoints(fx.tsrun.state(id).pid as number);
  // One mount at "/": the rootfs itself, nothing stacked over it.
  expect(points.filter((p) => p === '/')).toEqual(['/']);
  // sysfs and proc only ever on their own directory (the link kinds are refused above).
  for (const m of ['/proc', '/sys']) expect(points).toContain(m);
});

test('the instance: sys -> / is refused as runc refuses it, naming /sys', () => {
  const b = fx.bundle(['true']);
  fs.rmSync(path.join(b.rootfs, 'sys'), { recursive: true });
  fs.symlinkSync('/', path.join(b.rootfs, 'sys'));
  const r = fx.tsrun.cmd(['create', '-b', b.dir, fx.tsrun.track(uniqueId('hostile'))]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/mount sysfs on \/sys .*must be an ordinary directory, not a symlink or a file: \/sys: ENOTDIR/);
});
