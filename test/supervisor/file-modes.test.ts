/**
 * Everything tsrund writes for itself (records, configs whose env holds secrets, logs, the
 * content store, its directories) is owner-only, even under umask 000 and in a root directory
 * that existed with mode 0777. Layer contents (an image's files, a container's writable layer)
 * and a container's rootfs keep the modes the image gives them: the walk leaves them out.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { makeBundle } from '../helpers/bundle';
import { TestDaemon } from './daemon';

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-modes-'));
const bundle = makeBundle(['sh', '-c', 'echo "$SECRET"']);

afterAll(async () => {
  await daemon.cleanup();
  bundle.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

/**
 * Paths under `top` (relative) whose content is an image's or a container's, not tsrund's: also a
 * container's /etc/hosts, hostname and resolv.conf (0644: its users read them), its pinned
 * network namespace (the kernel's nsfs file) and the IPAM plugin's leases, each in an owner-only
 * directory.
 */
const LAYER_CONTENT = [
  /^snapshots\/layers\/[^/]+$/,
  /^snapshots\/active\/[^/]+\/(upper|work)$/,
  /^bundles\/[^/]+\/rootfs$/,
  /^netns-etc\/[^/]+$/,
  /^netns\/[^/]+$/,
  /^cni\/networks\/[^/]+$/,
];

/**
 * A task directory is 0711: its init opens the exec fifo in it after becoming the container's
 * user (by a directory fd; the 0700 state directory keeps everyone else out).
 */
const searchOnlyTaskDir = (f: { file: string; mode: number }) =>
  path.dirname(f.file) === path.join(daemon.state, 'tasks') && f.mode === 0o711;

/** Every path under `top` with its mode, layer contents left out (iterative: no recursion limit). */
function walk(top: string): { file: string; mode: number }[] {
  const out: { file: string; mode: number }[] = [];
  const todo = [''];
  while (todo.length > 0) {
    const rel = todo.pop()!;
    const st = fs.lstatSync(path.join(top, rel));
    out.push({ file: path.join(top, rel), mode: st.mode & 0o7777 });
    if (!st.isDirectory()) continue;
    for (const name of fs.readdirSync(path.join(top, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (!LAYER_CONTENT.some((re) => re.test(child))) todo.push(child);
    }
  }
  return out;
}

test('under umask 000 and a 0777 --root, no file or directory tsrund writes is open to group or others', async () => {
  fs.mkdirSync(path.join(daemon.root, 'containers'), { recursive: true });
  fs.chmodSync(daemon.root, 0o777);
  fs.chmodSync(path.join(daemon.root, 'containers'), 0o777);
  await daemon.start([], (argv) => ['sh', '-c', 'umask 000; exec "$@"', 'sh', ...argv]);
  const c = daemon.client;

  // A bundle container that ran and exited (a record, a task directory, a log)...
  await c.createContainer({ id: 'modes-b', bundle: bundle.dir, overrides: { env: ['SECRET=hunter2'] } });
  await c.createTask('modes-b');
  await c.startTask('modes-b');
  await c.wait('modes-b');
  // ...an imported image (the content store, unpacked layers) and a container of it with an exec.
  const [image] = await c.importImages(buildBusyboxArchive(work).file);
  await c.createContainer({ id: 'modes-i', image: image.name, overrides: { args: ['sleep', '600'], env: ['SECRET=hunter2'] } });
  await c.createTask('modes-i');
  await c.startTask('modes-i');
  await c.exec({ id: 'modes-i', execId: 'e1', args: ['true'] });
  await c.wait('modes-i', { execId: 'e1' });

  const files = [...walk(daemon.root), ...walk(daemon.state), ...walk(path.dirname(daemon.address))];
  // What the test made happened: the secret-holding config of the image container is among them.
  expect(files.map((f) => f.file)).toContain(path.join(daemon.state, 'bundles', 'modes-i', 'config.json'));
  expect(files.map((f) => f.file)).toContain(path.join(daemon.root, 'containers', 'modes-b', 'container.log'));
  const open = files.filter((f) => (f.mode & 0o077) !== 0 && !searchOnlyTaskDir(f)).map((f) => `${f.file} ${f.mode.toString(8)}`);
  expect(open).toEqual([]);
  await c.deleteTask('modes-i', { force: true });
}, 120_000);

test('the state directory stays 0700 and containers whose init is not root still start', async () => {
  expect(fs.statSync(daemon.state).mode & 0o777).toBe(0o700);
  const nobody = makeBundle(['id', '-u'], (config) => {
    config.process.user = { uid: 65534, gid: 65534 };
  });
  try {
    await daemon.client.createContainer({ id: 'modes-n', bundle: nobody.dir });
    await daemon.client.createTask('modes-n');
    await daemon.client.startTask('modes-n');
    expect((await daemon.client.wait('modes-n')).exitStatus).toBe(0);
    await daemon.client.deleteTask('modes-n');
    await daemon.client.deleteContainer('modes-n');
  } finally {
    nobody.cleanup();
  }
}, 60_000);

test('a user-namespace container still starts', async () => {
  const b = makeBundle(['true'], (config) => {
    config.linux.namespaces.push({ type: 'user' });
    config.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    config.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    config.mounts = config.mounts!.filter((m) => m.type !== 'cgroup' && m.destination !== '/sys');
  });
  try {
    execFileSync('chown', ['-R', '100000:100000', b.rootfs]);
    const c = daemon.client;
    await c.createContainer({ id: 'modes-u', bundle: b.dir });
    await c.createTask('modes-u');
    await c.startTask('modes-u');
    expect((await c.wait('modes-u')).exitStatus).toBe(0);
    await c.deleteTask('modes-u');
    await c.deleteContainer('modes-u');
  } finally {
    b.cleanup();
  }
}, 60_000);
