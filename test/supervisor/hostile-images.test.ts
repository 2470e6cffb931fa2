/**
 * Hostile images through a real tsrund: seeded layers of test/helpers/hostile-layers.ts imported
 * as OCI archives (Images.Import, what `tsctl images import` calls), each unpacked by a container
 * create. Each is either unpacked exactly (every path as the layer says, nothing else) or refused
 * with a one-line FAILED_PRECONDITION naming the entry, with nothing left behind; nothing is ever
 * written outside the snapshot directory (a canary directory outside, and tsrund's own
 * directories, are compared before and after); tsrund keeps serving, and starts again at the end.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { hostileLayers, type Expected } from '../helpers/hostile-layers';
import { buildArchive } from './image-archive';
import { emptied, failure, TestDaemon } from './daemon';

jest.setTimeout(600_000);

const CASES = 40;
const SEED = 0x1ea7;

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hostile-'));
const canary = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hostile-canary-'));
fs.writeFileSync(path.join(canary, 'precious'), 'keep');

beforeAll(() => daemon.start());
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(canary, { recursive: true, force: true });
});

/** Every path under `dir` (iteratively: trees may be deep) → what it is, as Expected spells it. */
function describeTree(dir: string): Expected {
  const out: Expected = {};
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, p);
      const st = fs.lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[p] = `dir ${mode}`;
        stack.push(p);
      } else if (st.isSymbolicLink()) out[p] = `symlink ${fs.readlinkSync(full)}`;
      else if (st.isCharacterDevice()) out[p] = st.rdev === 0 ? 'whiteout' : `char ${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
      else if (st.isFile()) out[p] = `file ${mode} ${fs.readFileSync(full, 'utf8')}`;
      else out[p] = 'other';
    }
  }
  return out;
}

/** tsrund's own files outside the unpacked layers, the blobs (which an import adds to) and the event journal, and the canary. */
function outsideSnapshots(): Expected {
  const all = { ...describeTree(daemon.root), ...describeTree(daemon.state) };
  // state/bundles is made (empty) by the first create, whatever the image; the event journal grows with each create.
  const kept = Object.entries(all).filter(([p, is]) => !/^(snapshots\/layers|content|images)(\/|$)|^events\//.test(p) && !(p === 'bundles' && is.startsWith('dir')));
  return { ...Object.fromEntries(kept), ...Object.fromEntries(Object.entries(describeTree(canary)).map(([p, v]) => [`canary:${p}`, v])) };
}

const layers = hostileLayers(SEED, CASES, canary);

test(`${CASES} seeded hostile layers: unpacked exactly or refused in one line, nothing outside, tsrund serving`, async () => {
  expect(layers.filter((l) => l.refused).length).toBeGreaterThan(CASES / 4);
  expect(layers.filter((l) => !l.refused).length).toBeGreaterThan(CASES / 10);
  const before = outsideSnapshots();
  const problems: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const name = `localhost/tsrun-hostile/case-${i}:1`;
    const where = `case ${i} (${layer.what})`;
    await daemon.client.importImages(buildArchive(work, name, [{ tar: layer.tar, gzip: i % 2 === 0 }], { config: { Cmd: ['true'] } }));
    const id = `hostile-${i}`;
    const f = await failure(daemon.client.createContainer({ id, image: name }));
    if (layer.refused) {
      if (f === null) problems.push(`${where}: unpacked, should be refused`);
      else if (f.code !== GrpcStatus.FAILED_PRECONDITION || f.details.includes('\n') || !layer.refused.test(f.details)) problems.push(`${where}: ${f.code} ${f.details}`);
    } else {
      if (f !== null) problems.push(`${where}: refused: ${f.details}`);
      else {
        const hex = crypto.createHash('sha256').update(layer.tar).digest('hex');
        const got = describeTree(path.join(daemon.root, 'snapshots', 'layers', hex));
        // Every path the layer names, as it says; anything else only a parent directory of one.
        for (const [p, want] of Object.entries(layer.expect)) if (got[p] !== want) problems.push(`${where}: ${JSON.stringify(p)} is ${got[p]}, want ${want}`);
        for (const [p, is] of Object.entries(got)) {
          if (!(p in layer.expect) && !(is === 'dir 755' && Object.keys(layer.expect).some((e) => e.startsWith(`${p}/`)))) problems.push(`${where}: unexpected ${JSON.stringify(p)} (${is})`);
        }
        await daemon.client.deleteContainer(id);
      }
    }
    await daemon.client.deleteImage(name);
    if ((await daemon.client.health()) !== 'SERVING') problems.push(`${where}: tsrund stopped serving`);
  }
  expect(problems).toEqual([]);
  // Background removals of refused unpacks and of the layers image removal collected.
  expect(await emptied(path.join(daemon.root, 'snapshots', 'tmp'))).toEqual([]);
  expect(outsideSnapshots()).toEqual(before);
  expect(fs.readdirSync(path.join(daemon.root, 'snapshots', 'layers'))).toEqual([]);
  await daemon.signal('SIGTERM');
  await daemon.start();
  expect(await daemon.reconnect().health()).toBe('SERVING');
});
