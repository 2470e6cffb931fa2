/**
 * A full disk does not wedge the content store: a real tsrund whose --root is a 12 MiB tmpfs,
 * mounted in a private mount namespace (`unshare -m --propagation private` around the daemon:
 * the mount lives and dies with it), pulls from a real docker-registry on 127.0.0.1 an image
 * whose layer does not fit. The pull fails with RESOURCE_EXHAUSTED naming the blob and the store,
 * nothing of the partial blob is kept, and a small image pulls fine afterwards; so does an import.
 * On the same small disk, layer bombs (a gzip bomb, a huge declared size) are refused at unpack
 * before they fill it, and an ordinary image unpacks afterwards.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { BUSYBOX_FILES, haveRegistryTools, Layout, TestRegistry, type Desc } from '../helpers/registry';
import { END, extended, header, paxData } from '../helpers/tar-forge';
import { failure, inPrivateMountNamespace, TestDaemon } from './daemon';
import { buildArchive } from './image-archive';

jest.setTimeout(180_000);

const TMPFS_SIZE = '12m';
const runnable = haveRegistryTools && process.getuid?.() === 0;

(runnable ? describe : describe.skip)('a full disk during a pull (needs root, docker-registry and skopeo)', () => {
  const registry = new TestRegistry();
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-store-full-'));
  let bigLayer: Desc;
  let layoutDir: string;

  beforeAll(async () => {
    await registry.start();
    const layout = new Layout(path.join(work, 'layout'));
    const big = layout.layer([{ path: 'noise', content: crypto.randomBytes(20 << 20) }], 'none');
    bigLayer = big.desc;
    layout.tag(layout.image([big]), 'big');
    layout.tag(layout.image([layout.layer(BUSYBOX_FILES)]), 'small');
    layout.tag(layout.image([layout.layer([{ path: 'etc/after', content: 'imported after the disk was full\n' }])]), 'after');
    layoutDir = layout.dir;
    await registry.push(layout.dir, 'big', 'tsrun/big:1');
    await registry.push(layout.dir, 'small', 'tsrun/small:1');
    const mountRoot = 'mkdir -p "$1" && mount -t tmpfs -o size=$2,mode=0700 tsrun-test-root "$1" && shift 2 && exec "$@"';
    await daemon.start([], (argv) => inPrivateMountNamespace(['sh', '-c', mountRoot, 'sh', daemon.root, TMPFS_SIZE, ...argv]));
  }, 120_000);

  afterAll(async () => {
    await daemon.cleanup();
    await registry.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const pull = async (ref: string) => {
    for await (const _ of daemon.client.pullImage(ref)) continue;
  };

  test('the pull that fills the disk says so, naming the blob and the store; later pulls and imports succeed', async () => {
    const f = await failure(pull(`${registry.host}/tsrun/big:1`));
    expect(f).toEqual({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: `the disk is full (ENOSPC): cannot store blob ${bigLayer.digest} in ${path.join(daemon.root, 'content')}; free space on that file system and retry`,
    });
    await pull(`${registry.host}/tsrun/small:1`);
    expect((await daemon.client.listImages()).map((i) => i.name)).toEqual([`${registry.host}/tsrun/small:1`]);
    // The same again: the failure leaves nothing that would make the next one differ.
    expect(await failure(pull(`${registry.host}/tsrun/big:1`))).toEqual(f);
    const ref = 'localhost/tsrun-test/after-full:1';
    const archive = path.join(work, 'after.oci.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${layoutDir}:after`, `oci-archive:${archive}:${ref}`]);
    await daemon.client.importImages(archive);
    expect((await daemon.client.listImages()).map((i) => i.name).sort()).toEqual([`${registry.host}/tsrun/small:1`, ref].sort());
    expect(await daemon.client.health()).toBe('SERVING');
  });

  test('a gzip bomb and a huge declared size are refused at unpack before they fill the disk; an ordinary image unpacks after', async () => {
    const zeros = 64 << 20;
    const bomb = Buffer.concat([header({ name: 'bomb', typeflag: '0', size: zeros }), Buffer.alloc(zeros), END]);
    // 1 TiB declared by pax, no body at all: refused before a byte of it is read.
    const huge = Buffer.concat([extended('x', paxData([['size', String(2 ** 40)]])), header({ name: 'huge', typeflag: '0' })]);
    for (const [name, tar] of [['bomb', bomb], ['huge', huge]] as const) {
      const ref = `localhost/tsrun-test/${name}:1`;
      await daemon.client.importImages(buildArchive(work, ref, [{ tar, gzip: true }], { config: { Cmd: ['true'] } }));
      const f = await failure(daemon.client.createContainer({ id: `full-${name}`, image: ref }));
      expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(f?.details).toMatch(
        new RegExp(`^image ${ref}: layer sha256:[0-9a-f]{64}: entry "${name}": it needs \\d+ bytes, more than the \\d+ the layer may still write \\(the free space of the snapshot file system, less a reserve\\); free space or use a smaller image$`),
      );
      await daemon.client.deleteImage(ref);
    }
    const ok = 'localhost/tsrun-test/after-bombs:1';
    await daemon.client.importImages(buildArchive(work, ok, [{ tar: Buffer.concat([header({ name: 'fine', typeflag: '0', size: 4 }), Buffer.from('fine'), Buffer.alloc(508), END]) }], { config: { Cmd: ['true'] } }));
    await daemon.client.createContainer({ id: 'after-bombs', image: ok });
    await daemon.client.deleteContainer('after-bombs');
    expect(await daemon.client.health()).toBe('SERVING');
  });
});
