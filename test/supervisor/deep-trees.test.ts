/**
 * A container cannot take tsrund down with a deep directory tree: a process in a real container
 * builds 3000 levels in its writable layer, `rm` (Tasks.Delete + Containers.Delete, what `tsctl
 * rm` calls) succeeds and the tree goes in the background; and deep leftovers of a tsrund that
 * stopped (an unfinished unpack, a writable layer without a container) do not stop it starting.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { emptied, TestDaemon } from './daemon';

jest.setTimeout(300_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-deep-'));
const snapshotsDir = (...p: string[]) => path.join(daemon.root, 'snapshots', ...p);

beforeAll(() => daemon.start());
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A chain of `depth` directories at `dir` made with mkdir + chdir (paths beyond PATH_MAX). */
function deepTree(dir: string, depth: number): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-c', 'import os,sys\nos.chdir(sys.argv[1])\nfor i in range(int(sys.argv[2])):\n    os.mkdir("a"); os.chdir("a")\nopen("f","w").write("x")', dir, String(depth)]);
}

test('a container that builds a 3000-level tree is removed, and tsrund keeps serving and starts again', async () => {
  const { file, ref } = buildBusyboxArchive(work, 'localhost/tsrun-test/deep:1');
  await daemon.client.importImages(file);
  const script = 'i=0; while [ $i -lt 3000 ]; do mkdir a && cd -P a || exit 1; i=$((i+1)); done; echo made $i levels';
  await daemon.client.createContainer({ id: 'deep', image: ref, overrides: { args: ['sh', '-c', script] } });
  await daemon.client.createTask('deep');
  await daemon.client.startTask('deep');
  expect((await daemon.client.wait('deep')).exitStatus).toBe(0);
  const out: string[] = [];
  for await (const e of daemon.client.logs('deep')) out.push(e.text);
  expect(out).toEqual(['made 3000 levels']);
  await daemon.client.deleteTask('deep');
  await daemon.client.deleteContainer('deep');
  expect(fs.existsSync(snapshotsDir('active', 'deep'))).toBe(false);
  expect(await daemon.client.health()).toBe('SERVING');
  expect(await emptied(snapshotsDir('tmp'))).toEqual([]);
  await daemon.signal('SIGTERM');
  await daemon.start();
  expect(await daemon.reconnect().health()).toBe('SERVING');
});

test('deep leftovers of a stopped tsrund do not stop it starting; they are removed in the background', async () => {
  await daemon.signal('SIGTERM');
  deepTree(snapshotsDir('tmp', 'unpack-left'), 5000);
  deepTree(snapshotsDir('active', 'orphan', 'upper'), 5000);
  await daemon.start();
  expect(await daemon.reconnect().health()).toBe('SERVING');
  expect(await emptied(snapshotsDir('tmp'))).toEqual([]);
  expect(fs.readdirSync(snapshotsDir('active'))).toEqual([]);
  expect(daemon.stderr).toMatch(/snapshots: removed the writable layer of orphan, which has no container/);
});
