/**
 * Container records bounded so that every response fits a gRPC message (4 MiB), and Lists that
 * page: a Create over a limit is refused naming the field and creates nothing; 2,500 records
 * (no tasks: cheap) list completely through the client and `tsctl ls`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { apiServices } from '../../supervisor/api/load';
import { GrpcStatus } from '../../supervisor/client/client';
import { RECORD_LIMITS } from '../../supervisor/containers/record-checks';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, TSCTL } from './daemon';
import { useDaemon } from './fixtures';

const { daemon, c, bundle } = useDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-limits-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const containerDirs = () => fs.readdirSync(path.join(daemon.root, 'containers'));

describe('a record over a limit is refused and nothing is created', () => {
  test('2.2 MB of env in the overrides', async () => {
    const env = Array.from({ length: 2200 }, (_, i) => `V${i}=${'x'.repeat(1000)}`);
    const f = await failure(c().createContainer({ id: 'lim-env', bundle: bundle().dir, overrides: { env } }));
    expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f?.details).toMatch(new RegExp(`^overrides: \\d+ bytes; a container record holds at most ${RECORD_LIMITS.overrides} bytes of overrides$`));
    expect((await failure(c().getContainer('lim-env')))?.code).toBe(GrpcStatus.NOT_FOUND);
    expect(containerDirs()).not.toContain('lim-env');
    expect((await c().listContainers()).map((k) => k.id)).not.toContain('lim-env');
  });

  test("a bundle's config.json past the limit names it and its largest part", async () => {
    const b = bundle();
    b.config.process.env = [`BIG=${'y'.repeat(RECORD_LIMITS.specJson)}`];
    b.save();
    const f = await failure(c().createContainer({ id: 'lim-spec', bundle: b.dir }));
    expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f?.details).toMatch(
      new RegExp(`^bundle config.json: with the overrides it is \\d+ bytes of JSON \\(the largest part: process.env \\(\\d+ bytes\\)\\); a container record holds at most ${RECORD_LIMITS.specJson}$`),
    );
    expect(containerDirs()).not.toContain('lim-spec');
  });

  test('labels past 64 KiB in all', async () => {
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(4000)]));
    const f = await failure(c().createContainer({ id: 'lim-labels', bundle: bundle().dir, labels }));
    expect(f).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: `labels: 80050 bytes in all; the limit is ${RECORD_LIMITS.labels}` });
    expect(containerDirs()).not.toContain('lim-labels');
  });

  test('an image container leaves no writable layer and no bundle', async () => {
    const archive = buildBusyboxArchive(work);
    const [image] = await c().importImages(archive.file);
    const env = [`BIG=${'z'.repeat(RECORD_LIMITS.overrides)}`];
    const f = await failure(c().createContainer({ id: 'lim-image', image: image.name, overrides: { env } }));
    expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f?.details).toMatch(/^overrides: \d+ bytes; /);
    expect(containerDirs()).not.toContain('lim-image');
    expect(fs.existsSync(path.join(daemon.state, 'bundles', 'lim-image'))).toBe(false);
    expect(fs.readdirSync(path.join(daemon.root, 'snapshots', 'active'))).not.toContain('lim-image');
    // Just under the limit it is created (and Get answers).
    await c().createContainer({ id: 'lim-image', image: image.name, overrides: { env: [`BIG=${'z'.repeat(RECORD_LIMITS.overrides - 100)}`] } });
    expect((await c().getContainer('lim-image')).image).toBe(image.name);
    await c().deleteContainer('lim-image');
  });
});

describe('2,500 records list completely', () => {
  const COUNT = 2500;
  const ids = Array.from({ length: COUNT }, (_, i) => `many-${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    const dir = bundle().dir;
    // 1 KB of env each (in the overrides and in the config): the whole list is ~12 MB.
    const env = [`PAD=${'p'.repeat(1000)}`];
    for (let i = 0; i < COUNT; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => c().createContainer({ id, bundle: dir, overrides: { env } })));
  }, 300_000);

  afterAll(async () => {
    for (let i = 0; i < COUNT; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => c().deleteContainer(id).catch(() => undefined)));
  }, 300_000);

  test('through the client', async () => {
    const listed = (await c().listContainers()).map((k) => k.id).filter((id) => id.startsWith('many-'));
    expect(listed).toEqual(ids);
  }, 60_000);

  test('through tsctl ls', () => {
    const r = spawnSync(TSCTL, ['--address', daemon.address, 'ls', '-a', '--json'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { container: { id: string } }[];
    // Newest first, as docker ps: the ones made together in one second in any order.
    expect(rows.map((row) => row.container.id).filter((id) => id.startsWith('many-')).sort()).toEqual([...ids].sort());
  }, 60_000);

  test('pages follow each other without gaps or repeats; a List without page_size says to page', async () => {
    const def = apiServices().Containers;
    const Client = grpc.makeGenericClientConstructor(def, 'Containers');
    const raw = new Client(`unix://${daemon.address}`, grpc.credentials.createInsecure()) as unknown as Record<
      string,
      (req: object, cb: (err: grpc.ServiceError | null, res: { containers: { id: string }[]; nextPageToken: string }) => void) => void
    >;
    const list = (req: object) => new Promise<{ containers: { id: string }[]; nextPageToken: string }>((resolve, reject) => raw.list(req, (e, r) => (e ? reject(e) : resolve(r))));
    try {
      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const r = await list({ labelFilters: [], pageSize: 1000, pageToken });
        expect(r.containers.length).toBeLessThanOrEqual(1000);
        seen.push(...r.containers.map((k) => k.id));
        pageToken = r.nextPageToken;
        pages++;
      } while (pageToken !== '');
      expect(seen.filter((id) => id.startsWith('many-'))).toEqual(ids);
      // 1000 a page asked for, but a page stops before 3 MiB: more than the 3 pages 1000 a page would need.
      expect(pages).toBeGreaterThan(3);
      const f = await failure(list({ labelFilters: [] }));
      expect(f?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(f?.details).toMatch(/^page_size: the \d+ containers do not fit one response \(3145728 bytes\): ask for pages \(page_size, then page_token\)$/);
    } finally {
      (raw as unknown as grpc.Client).close();
    }
  }, 60_000);
});
